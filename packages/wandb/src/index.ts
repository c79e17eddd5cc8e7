export * from "./store/index.ts";
export * from "./sweep/index.ts";
