export { BullMqJobQueue } from "./bullmq-queue";
export { MemoryJobQueue } from "./memory-queue";
export * from "./queue";
