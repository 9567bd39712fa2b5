export * from "./ai";
export * from "./errors";
export * from "./tokens";
