// The page's authorisation markup (page.ts puts it in place; authz-ui.ts drives it): the admin
// section every signed-in user sees (admins get figures, others the 403 message), and the
// password confirmation "sign out everywhere" asks for when the sign-in is not recent.

export const ADMIN_SECTION = /* html */ `<section id="admin" data-testid="admin">
    <h2>Admin <span id="admin-role" data-testid="admin-role" class="tag"></span></h2>
    <p id="admin-body" data-testid="admin-body" class="empty">Loading…</p>
  </section>`;

export const CONFIRM_FORM = /* html */ `<form id="confirm-form" data-testid="confirm-form" hidden>
      <p id="confirm-reason" data-testid="confirm-reason"></p>
      <div class="row">
        <label style="flex:1">Your password <input id="confirm-password" name="password" type="password" autocomplete="current-password" required></label>
        <button id="confirm-submit" type="submit">Confirm and sign out everywhere</button>
        <button id="confirm-cancel" class="secondary" type="button">Cancel</button>
      </div>
    </form>`;
