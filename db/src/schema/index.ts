export * from "./ai";
export * from "./compliance";
export * from "./entries";
export * from "./files";
export * from "./sharing";
export * from "./users";
