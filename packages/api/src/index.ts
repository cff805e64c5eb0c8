export const packageName = "@buildfleet/api";
