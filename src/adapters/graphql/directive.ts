// The `@auth` schema directive: every field it covers refuses to resolve without a session.
// Guards sit on the object types' field resolvers, so a field is protected however it is
// reached (directly, through an interface, through a union, inside a fragment).

import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import {
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  defaultFieldResolver,
  isObjectType,
} from "graphql";
import type { Session } from "../../core/session.js";
import { isSessionContext } from "./context.js";
import { toGraphQLError } from "./errors.js";

/** What {@link authDirective} returns. */
export interface AuthDirective {
  /** The SDL of the directive, to add to `typeDefs`. */
  authDirectiveTypeDefs: string;
  /** Wraps the resolvers of every field the directive covers; apply it to the built schema. */
  authDirectiveTransformer: (schema: GraphQLSchema) => GraphQLSchema;
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

function guard<TSource, TArgs>(resolver: GraphQLFieldResolver<TSource, unknown, TArgs>): GraphQLFieldResolver<TSource, unknown, TArgs> {
  return (source, args, context, info) => {
    sessionOf(context);
    return resolver(source, args, context, info);
  };
}

/**
 * The `@auth` directive (named `name`, default `"auth"`) for `FIELD_DEFINITION` and `OBJECT`.
 * On a type it covers every field of the type; on an interface field it covers that field in
 * every implementing type. Behind it, `ctx.session` is a `Session` (type it as `AuthedContext`).
 */
export function authDirective(name = "auth"): AuthDirective {
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) throw new TypeError(`sessionkit: "${name}" is not a GraphQL name`);
  return {
    authDirectiveTypeDefs: `directive @${name} on OBJECT | FIELD_DEFINITION`,
    authDirectiveTransformer(schema) {
      const marked = (node: Parameters<typeof getDirective>[1]) => (getDirective(schema, node, name)?.length ?? 0) > 0;
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
          return {
            ...field,
            resolve: guard(field.resolve ?? defaultFieldResolver),
            // Subscription root fields: the session is checked when the subscription starts.
            ...(field.subscribe || typeName === schema.getSubscriptionType()?.name
              ? { subscribe: guard(field.subscribe ?? defaultFieldResolver) }
              : {}),
          };
        },
      });
    },
  };
}
