export * from "./ai";
export * from "./edge-trust";
export * from "./errors";
export * from "./tokens";
