import { z } from "zod";

export const PRIORITIES = ["interactive", "normal", "bulk"] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

/**
 * BullMQ priority (lower runs sooner). Every build gets a non-zero priority so
 * they all live in BullMQ's one prioritized set: un-prioritized (0) jobs would
 * otherwise jump ahead of all of them.
 */
export function priorityValue(priority: Priority): number {
  switch (priority) {
    case "interactive":
      return 1;
    case "normal":
      return 10;
    case "bulk":
      return 100;
  }
}
