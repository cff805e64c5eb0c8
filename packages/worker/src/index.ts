export const packageName = "@buildfleet/worker";
