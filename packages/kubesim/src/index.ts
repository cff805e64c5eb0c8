export const packageName = "@buildfleet/kubesim";
