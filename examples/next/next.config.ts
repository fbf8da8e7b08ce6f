import type { NextConfig } from "next";

// Nothing sessionkit-specific: no serverExternalPackages, no transpilePackages.
const config: NextConfig = {};

export default config;
