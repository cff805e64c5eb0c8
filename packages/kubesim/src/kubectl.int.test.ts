// kubesim driven by the real kubectl binary, against the full control plane.
// Extend this file for the controller-dependent steps (kubectl wait, logs):
// `kubectl(...)` runs the binary with the sim's kubeconfig and returns its output.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "./start.js";

const KUBECTL = process.env.KUBECTL ?? "/usr/bin/kubectl";
const hasKubectl = existsSync(KUBECTL);
if (!hasKubectl) console.warn(`kubectl tests skipped: no kubectl binary at ${KUBECTL} (set KUBECTL to its path)`);

export const BUILD_IMAGE_JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: build-image
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: kaniko
          image: gcr.io/kaniko-project/executor:v1.23.2
          args:
            - --context=/workspace/my-build
            - --dockerfile=/workspace/my-build/Dockerfile
            - --destination=registry.local/team/app:v1
          volumeMounts:
            - name: kaniko-workspace
              mountPath: /workspace
            - name: docker-config
              mountPath: /kaniko/.docker/config.json
              subPath: config.json
      volumes:
        - name: kaniko-workspace
          persistentVolumeClaim:
            claimName: kaniko-workspace
        - name: docker-config
          persistentVolumeClaim:
            claimName: docker-config
`;

describe.skipIf(!hasKubectl)("kubectl against kubesim", () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;

  /** Runs kubectl with the sim's kubeconfig; rejects with stderr on a non-zero exit. */
  function kubectl(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(KUBECTL, ["--kubeconfig", kubeconfig, "--request-timeout=20s", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  }

  beforeAll(async () => {
    sim = await startKubeSim({ speed: 20 });
    dir = await mkdtemp(join(tmpdir(), "kubesim-kubectl-"));
    kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, sim.kubeconfigYaml);
    await writeFile(join(dir, "job.yaml"), BUILD_IMAGE_JOB);
  });

  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the initial namespaces with kubectl get ns", async () => {
    const out = await kubectl("get", "ns");
    expect(out).toMatch(/^NAME\s+STATUS\s+AGE/);
    for (const ns of ["default", "kube-system", "buildfleet"]) expect(out).toMatch(new RegExp(`^${ns}\\s+Active\\s+`, "m"));
  });

  it("creates a ConfigMap with kubectl create -f and reads it back as JSON", async () => {
    const file = join(dir, "cm.yaml");
    await writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n");
    expect(await kubectl("create", "-f", file)).toContain("configmap/settings created");
    const cm = JSON.parse(await kubectl("get", "configmap", "settings", "-o", "json")) as { data: Record<string, string> };
    expect(cm.data).toEqual({ a: "1" });
    await expect(kubectl("create", "-f", file)).rejects.toThrow(/AlreadyExists|already exists/);
  });

  it("changes nothing on --dry-run=server", async () => {
    const file = join(dir, "dry.yaml");
    await writeFile(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\ndata:\n  a: \"1\"\n");
    expect(await kubectl("apply", "--dry-run=server", "-f", file)).toContain("configmap/dry created (server dry run)");
    await expect(kubectl("get", "configmap", "dry")).rejects.toThrow(/NotFound|not found/);
    await kubectl("create", "-f", file);
    await kubectl("delete", "configmap", "dry", "--dry-run=server");
    expect(await kubectl("get", "configmap", "dry", "-o", "name")).toBe("configmap/dry\n");
  });

  it("creates, lists, reads and deletes a PersistentVolumeClaim (pvc), Bound at once", async () => {
    const file = join(dir, "pvc.yaml");
    await writeFile(
      file,
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kaniko-workspace\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
    );
    expect(await kubectl("apply", "-f", file)).toContain("persistentvolumeclaim/kaniko-workspace created");
    const table = await kubectl("get", "pvc");
    expect(table).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+AGE/);
    expect(table).toMatch(/^kaniko-workspace\s+Bound\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+standard\s+/m);
    expect(await kubectl("get", "persistentvolumeclaims", "-A", "-o", "name")).toBe("persistentvolumeclaim/kaniko-workspace\n");
    expect(await kubectl("get", "pvc", "kaniko-workspace", "-o", "jsonpath={.status.phase} {.spec.volumeMode}")).toBe("Bound Filesystem");
    const bad = join(dir, "bad-pvc.yaml");
    await writeFile(bad, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: bad\nspec: {}\n");
    await expect(kubectl("create", "-f", bad)).rejects.toThrow(/spec.accessModes: Required value: at least 1 access mode is required/);
    expect(await kubectl("delete", "pvc", "kaniko-workspace")).toContain('persistentvolumeclaim "kaniko-workspace" deleted');
    await expect(kubectl("get", "pvc", "kaniko-workspace")).rejects.toThrow(/NotFound|not found/);
  });

  it("applies the build-image Job, prints it as a table and its conditions via go-template", async () => {
    expect(await kubectl("apply", "-f", join(dir, "job.yaml"))).toContain("job.batch/build-image created");
    expect(await kubectl("apply", "-f", join(dir, "job.yaml"))).toContain("job.batch/build-image unchanged");
    const job = JSON.parse(await kubectl("get", "job", "build-image", "-o", "json")) as {
      spec: { backoffLimit: number; template: { spec: { containers: Array<{ args: string[]; volumeMounts: Array<{ subPath?: string }> }> } } };
    };
    expect(job.spec.backoffLimit).toBe(3);
    expect(job.spec.template.spec.containers[0]?.args).toContain("--destination=registry.local/team/app:v1");
    expect(job.spec.template.spec.containers[0]?.volumeMounts[1]?.subPath).toBe("config.json");
    const table = await kubectl("get", "jobs");
    expect(table).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    expect(table).toMatch(/^build-image\s+\w+\s+\d\/1\s/m);
    const conditions = await kubectl("get", "job", "build-image", "-o", "go-template={{range .status.conditions}}{{.type}}={{.status}} {{end}}");
    expect(conditions).toMatch(/^(\w+=(True|False) )*$/);
  });

  it("rejects a change to the pod template like a real cluster", async () => {
    const changed = BUILD_IMAGE_JOB.replace("app:v1", "app:v2");
    await writeFile(join(dir, "job-v2.yaml"), changed);
    await expect(kubectl("apply", "-f", join(dir, "job-v2.yaml"))).rejects.toThrow(/field is immutable/);
  });

  it("waits for the build-image Job with kubectl wait --for=condition=complete", async () => {
    expect(await kubectl("wait", "--for=condition=complete", "job/build-image", "--timeout=20s")).toContain(
      "job.batch/build-image condition met",
    );
    expect(await kubectl("get", "jobs")).toMatch(/^build-image\s+Complete\s+1\/1\s/m);
  });

  it("lists every condition in 1.31+ order, so (index .status.conditions 0) is not the terminal one", async () => {
    const all = await kubectl(
      "get", "job", "build-image", "-o",
      "go-template={{range .status.conditions}}{{.type}}={{.status}}/{{.reason}} {{end}}",
    );
    expect(all).toBe("SuccessCriteriaMet=True/CompletionsReached Complete=True/CompletionsReached ");
    // The old habit reads the interim condition on a modern cluster.
    expect(await kubectl("get", "job", "build-image", "-o", "go-template={{(index .status.conditions 0).type}}")).toBe(
      "SuccessCriteriaMet",
    );
    const counts = await kubectl("get", "job", "build-image", "-o", "jsonpath={.status.succeeded}/{.status.failed}/{.status.active}");
    expect(counts).toBe("1/0/0");
  });

  it("prints the Kaniko log with kubectl logs job/build-image", async () => {
    const log = await kubectl("logs", "job/build-image");
    // kubectl apply mounts no Dockerfile: only the steps Kaniko always prints, no invented FROM.
    expect(log).toMatch(/^INFO\[0000\] Built cross stage deps: map\[\]\n/);
    expect(log).not.toMatch(/Retrieving image|RUN /);
    expect(log).toContain("INFO[0001] Executing 0 build triggers");
    expect(log).toMatch(/^INFO\[\d{4}\] Pushing image to registry\.local\/team\/app:v1$/m);
    expect(log).toMatch(/^INFO\[\d{4}\] Pushed registry\.local\/team\/app:v1@sha256:[0-9a-f]{64}$/m);
    expect((await kubectl("logs", "job/build-image", "--tail=1")).trim()).toMatch(/Pushed registry\.local\/team\/app:v1@sha256:/);
    await expect(kubectl("logs", "job/build-image", "--previous")).rejects.toThrow(/previous terminated container "kaniko"/);
  });

  it("deletes the Job with kubectl delete job", async () => {
    expect(await kubectl("delete", "job", "build-image")).toContain('job.batch "build-image" deleted');
    await expect(kubectl("get", "job", "build-image")).rejects.toThrow(/NotFound|not found/);
  });
});
