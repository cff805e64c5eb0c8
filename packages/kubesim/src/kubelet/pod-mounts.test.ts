import { describe, expect, it } from "vitest";
import { missingClaimMessage, missingMounts } from "./pod-mounts.js";

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

  it("names the first missing claim in kube-scheduler's words, and nothing once every claim exists", () => {
    const volumes = [
      { name: "ok", persistentVolumeClaim: { claimName: "present" } },
      { name: "context", persistentVolumeClaim: { claimName: "kaniko-workspace" } },
      { name: "secret", secret: { secretName: "gone" } },
    ];
    expect(missingClaimMessage(volumes, (name) => name === "present")).toBe(
      '0/1 nodes are available: persistentvolumeclaim "kaniko-workspace" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    expect(missingClaimMessage(volumes, () => true)).toBeUndefined();
  });
});
