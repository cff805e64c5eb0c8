export const packageName = "@buildfleet/testkit";
