import { describe, expect, it } from "vitest";
import { missingMounts } from "./pod-mounts.js";

describe("missingMounts", () => {
  const have = new Set(["secret/present", "configmap/present"]);
  const exists = (kind: string, name: string): boolean => have.has(`${kind}/${name}`);

  it("names each volume whose Secret or ConfigMap is missing, in the kubelet's FailedMount words", () => {
    expect(
      missingMounts(
        [
          { name: "docker-config", secret: { secretName: "regcred" } },
          { name: "dockerfile", configMap: { name: "b-app-1234" } },
          { name: "ok", secret: { secretName: "present" } },
          { name: "workspace", persistentVolumeClaim: { claimName: "kaniko-workspace" } },
        ],
        exists,
      ).map((m) => m.message),
    ).toEqual([
      'MountVolume.SetUp failed for volume "docker-config" : secret "regcred" not found',
      'MountVolume.SetUp failed for volume "dockerfile" : configmap "b-app-1234" not found',
    ]);
  });

  it("checks projected sources, and lets optional ones be missing", () => {
    expect(missingMounts([{ name: "p", projected: { sources: [{ configMap: { name: "present" } }, { secret: { name: "gone" } }] } }], exists)).toMatchObject([
      { volume: "p", kind: "secret", name: "gone" },
    ]);
    expect(
      missingMounts(
        [
          { name: "a", secret: { secretName: "gone", optional: true } },
          { name: "b", configMap: { name: "gone", optional: true } },
        ],
        exists,
      ),
    ).toEqual([]);
  });
});
