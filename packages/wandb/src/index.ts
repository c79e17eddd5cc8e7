export * from "./agent/index.ts";
export * from "./api/index.ts";
export * from "./logger/index.ts";
export * from "./process/index.ts";
export * from "./store/index.ts";
export * from "./sweep/index.ts";
export * from "./sync/index.ts";
export { alignColumns } from "./text-table.ts";
