// A misassembly fails loudly: a schema that uses `@auth` but was never passed through
// `authDirectiveTransformer` would serve every "protected" field to anyone. `useSessions` checks
// the schema Yoga gives it (at `createYoga` for a static schema) and refuses it with a sentence
// that says what to add. Applying the transformer here instead is not possible in general: the
// transformer carries the app's policies (`authDirective({ policies })`), which only it knows.

import { type GraphQLSchema, isObjectType } from "graphql";

/** The extension key the transformer sets on every field it guards. */
export const GUARDED = "sessionkitAuth";

/** Names given to `authDirective(name)` in this process ("auth" unless renamed). */
const names = new Set<string>(["auth"]);

/** Called by `authDirective(name)`, so the check knows every name the app's directive may have. */
export function registerAuthDirectiveName(name: string): void {
  names.add(name);
}

interface WithDirectives {
  readonly astNode?: { readonly directives?: readonly { readonly name: { readonly value: string } }[] } | null | undefined;
  readonly extensionASTNodes?: readonly { readonly directives?: readonly { readonly name: { readonly value: string } }[] }[];
}

/** The first sessionkit directive name used on a node (its definition or an `extend`), if any. */
function usedOn(node: WithDirectives): string | undefined {
  for (const ast of [node.astNode, ...(node.extensionASTNodes ?? [])]) {
    for (const directive of ast?.directives ?? []) if (names.has(directive.name.value)) return directive.name.value;
  }
  return undefined;
}

/**
 * Throws when a field that `@auth` covers (on the field, its type, or the interface field it
 * implements) has no guard: the schema was built with `authDirectiveTypeDefs` but not transformed.
 */
export function assertAuthApplied(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    const onType = usedOn(type);
    for (const field of Object.values(type.getFields())) {
      const directive =
        usedOn(field) ??
        onType ??
        type
          .getInterfaces()
          .map((iface) => iface.getFields()[field.name])
          .map((inherited) => (inherited ? usedOn(inherited) : undefined))
          .find((name) => name !== undefined);
      if (directive === undefined || field.extensions?.[GUARDED] === true) continue;
      if (!schema.getDirective(directive)) continue; // a directive of the app's own with the same name
      throw new Error(
        `sessionkit: ${type.name}.${field.name} is marked @${directive} but the schema was not transformed, so it would be served ` +
          "without a session. Wrap the built schema: `const { authDirectiveTypeDefs, authDirectiveTransformer } = authDirective(); " +
          "const schema = authDirectiveTransformer(createSchema({ typeDefs: [authDirectiveTypeDefs, …], resolvers }))`.",
      );
    }
  }
}
