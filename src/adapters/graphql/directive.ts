// The `@auth` schema directive: every field it covers refuses to resolve without a session.
// Guards sit on the object types' field resolvers, so a field is protected however it is
// reached (directly, through an interface, through a union, inside a fragment).

import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  defaultFieldResolver,
  isObjectType,
} from "graphql";
import type { ClaimValidator } from "../../core/claims.js";
import { isSessionError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import { GUARDED, registerAuthDirectiveName } from "./assembly.js";
import { isSessionContext } from "./context.js";
import { toGraphQLError } from "./errors.js";

/** What {@link authDirective} returns. */
export interface AuthDirective {
  /** The SDL of the directive, to add to `typeDefs`. */
  authDirectiveTypeDefs: string;
  /** Wraps the resolvers of every field the directive covers; apply it to the built schema. */
  authDirectiveTransformer: (schema: GraphQLSchema) => GraphQLSchema;
}

/**
 * The first root field of a mutation (or subscription) that `@auth` guards, looking through fragments (and,
 * conservatively, ignoring `@skip`/`@include`). The plugin refuses such a mutation as a whole
 * when there is no usable session, so none of its public root fields runs and a retry after
 * the SDK's refresh does not repeat their side effects.
 */
export function guardedRootField(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): FieldNode | undefined {
  const root =
    operation.operation === "mutation"
      ? schema.getMutationType()
      : operation.operation === "subscription"
        ? schema.getSubscriptionType()
        : undefined;
  const fields = root?.getFields();
  if (!fields) return undefined;
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const seen = new Set<string>();
  const search = (set: SelectionSetNode): FieldNode | undefined => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (fields[selection.name.value]?.extensions?.[GUARDED] === true) return selection;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const found = search(selection.selectionSet);
        if (found) return found;
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        const found = fragment && search(fragment);
        if (found) return found;
      }
    }
    return undefined;
  };
  return search(operation.selectionSet);
}

/** The session of a context, or the GraphQLError (401, or 500 for a store outage) explaining why not. */
function sessionOf(context: unknown): Session {
  if (!isSessionContext(context)) {
    throw new Error("sessionkit: @auth needs the useSessions(sessions) plugin in Yoga's plugins");
  }
  if (context.session) return context.session;
  if (context.sessionError) throw toGraphQLError(context.sessionError);
  // Unreachable through useSessions (it always keeps the reason); fail closed all the same.
  throw new Error("sessionkit: no session and no reason recorded");
}

function guard<TSource, TArgs>(
  resolver: GraphQLFieldResolver<TSource, unknown, TArgs>,
  validators: readonly ClaimValidator[],
): GraphQLFieldResolver<TSource, unknown, TArgs> {
  return (source, args, context, info) => {
    const session = sessionOf(context);
    if (validators.length > 0) {
      try {
        session.assertClaims(validators);
      } catch (error) {
        throw isSessionError(error) ? toGraphQLError(error) : error;
      }
    }
    return resolver(source, args, context, info);
  };
}

/** Options of {@link authDirective}. */
export interface AuthDirectiveOptions {
  /** The directive's name (default `"auth"`). */
  name?: string;
  /** Named policies for `@auth(requires: ["admin"])`: every validator of every named policy must pass. */
  policies?: Record<string, readonly ClaimValidator[]>;
}

/**
 * The `@auth` directive (named `name`, default `"auth"`) for `FIELD_DEFINITION` and `OBJECT`.
 * On a type it covers every field of the type; on an interface field it covers that field in
 * every implementing type. Behind it, `ctx.session` is a `Session` (type it as `AuthedContext`).
 */
export function authDirective(nameOrOptions: string | AuthDirectiveOptions = "auth"): AuthDirective {
  const { name = "auth", policies = {} } = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) throw new TypeError(`sessionkit: "${name}" is not a GraphQL name`);
  for (const [policy, validators] of Object.entries(policies)) {
    if (!Array.isArray(validators) || validators.some((v) => typeof v?.validate !== "function")) {
      throw new TypeError(`sessionkit: policy "${policy}" must be an array of claim validators`);
    }
  }
  registerAuthDirectiveName(name);
  return {
    authDirectiveTypeDefs: `directive @${name}(requires: [String!]) on OBJECT | FIELD_DEFINITION`,
    authDirectiveTransformer(schema) {
      const uses = (node: Parameters<typeof getDirective>[1]) => getDirective(schema, node, name) ?? [];
      const marked = (node: Parameters<typeof getDirective>[1]) => uses(node).length > 0;
      /** The validators of the policies named on a node; an unknown name fails the schema build. */
      const required = (node: Parameters<typeof getDirective>[1], where: string): ClaimValidator[] =>
        uses(node).flatMap((use) =>
          ((use.requires as string[] | undefined) ?? []).flatMap((policy) => {
            const validators = Object.hasOwn(policies, policy) ? policies[policy] : undefined;
            if (!validators) {
              throw new TypeError(
                `sessionkit: @${name}(requires: ["${policy}"]) on ${where} names no policy given to authDirective({ policies })`,
              );
            }
            return validators;
          }),
        );
      return mapSchema(schema, {
        [MapperKind.OBJECT_FIELD](field: GraphQLFieldConfig<unknown, unknown>, fieldName, typeName) {
          const type = schema.getType(typeName);
          if (!isObjectType(type)) return field;
          const covered =
            marked(field) ||
            marked(type) ||
            type.getInterfaces().some((iface) => {
              const inherited = iface.getFields()[fieldName];
              return inherited !== undefined && marked(inherited);
            });
          if (!covered) return field;
          // Everything that covers the field adds its policies: the field's, its type's, its interfaces' field.
          const validators = [
            ...required(field, `${typeName}.${fieldName}`),
            ...required(type, typeName),
            ...type.getInterfaces().flatMap((iface) => {
              const inherited = iface.getFields()[fieldName];
              return inherited ? required(inherited, `${iface.name}.${fieldName}`) : [];
            }),
          ];
          return {
            ...field,
            extensions: { ...field.extensions, [GUARDED]: true },
            resolve: guard(field.resolve ?? defaultFieldResolver, validators),
            // Subscription root fields: the session is checked when the subscription starts.
            ...(field.subscribe || typeName === schema.getSubscriptionType()?.name
              ? { subscribe: guard(field.subscribe ?? defaultFieldResolver, validators) }
              : {}),
          };
        },
      });
    },
  };
}
