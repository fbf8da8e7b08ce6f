// The bench router on tRPC's standalone adapter and node:http, with a context that reads nothing:
// what a request's Cookie header costs before any session library looks at it
// (bench/cookie-cost.ts). No database, no sessionkit.

import { serve } from "./common.js";
import { benchHandler } from "./router.js";

const none = () => {
  throw new Error("this server has no sessions");
};
serve(benchHandler<Record<string, never>>({ createContext: () => ({}), userIdOf: none, signIn: async () => none() }));
