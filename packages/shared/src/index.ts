export const packageName = "@buildfleet/shared";
