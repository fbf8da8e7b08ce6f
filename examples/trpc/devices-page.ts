// The page's devices markup (page.ts puts it in place; devices-ui.ts drives it): the "Your
// devices" section and the "Remember me" box of the sign-in form.

export const DEVICES_SECTION = /* html */ `<section id="sessions" data-testid="sessions">
    <h2>Your devices <button id="sessions-reload" class="secondary small" type="button">Reload</button></h2>
    <ul id="sessions-list" data-testid="sessions-list"></ul>
    <div class="actions">
      <button id="sessions-revoke-others" data-testid="sessions-revoke-others" class="danger" type="button">Sign out all other devices</button>
    </div>
  </section>`;

export const REMEMBER_ME = /* html */ `<label class="check"><input id="signin-remember" name="remember" type="checkbox" checked> Remember me <small>(unticked: signed out when the browser closes)</small></label>`;
