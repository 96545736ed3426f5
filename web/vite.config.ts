/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// One single-page app: the console under /console/, the customer pages under /c/. The host (the local stack,
// or CloudFront in front of the bucket) answers index.html for both prefixes and /config.json beside it.
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 600 },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
