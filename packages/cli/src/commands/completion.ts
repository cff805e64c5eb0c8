import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";

/**
 * `buildfleet completion bash|zsh|fish`: a script completing commands and
 * their flags, generated from the program itself so it never goes stale.
 * Usage: `source <(buildfleet completion bash)`.
 */

interface Spec {
  name: string;
  flags: string[];
}

function specs(program: Command): { commands: Spec[]; global: string[] } {
  const flagsOf = (c: Command): string[] => c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  return {
    global: [...flagsOf(program), "--help", "--version"],
    commands: program.commands.map((c) => ({ name: c.name(), flags: [...flagsOf(c), "--help"] })),
  };
}

export function completionScript(shell: string, program: Command): string {
  const { commands, global } = specs(program);
  const names = commands.map((c) => c.name).join(" ");
  switch (shell) {
    case "bash":
      return [
        "# buildfleet bash completion: source <(buildfleet completion bash)",
        "_buildfleet() {",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" cmd="${COMP_WORDS[1]}"',
        '  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "' + names + " " + global.join(" ") + '" -- "$cur")); return; fi',
        '  case "$cmd" in',
        ...commands.map((c) => `    ${c.name}) COMPREPLY=($(compgen -W "${[...c.flags, ...global].join(" ")}" -- "$cur")) ;;`),
        "  esac",
        "}",
        "complete -o default -F _buildfleet buildfleet",
        "",
      ].join("\n");
    case "zsh":
      return [
        "#compdef buildfleet",
        "# buildfleet zsh completion: source <(buildfleet completion zsh)",
        "_buildfleet() {",
        "  if (( CURRENT == 2 )); then",
        `    compadd -- ${names} ${global.join(" ")}`,
        "    return",
        "  fi",
        "  case ${words[2]} in",
        ...commands.map((c) => `    ${c.name}) compadd -- ${[...c.flags, ...global].join(" ")} ;;`),
        "  esac",
        "  _files",
        "}",
        "compdef _buildfleet buildfleet",
        "",
      ].join("\n");
    case "fish":
      return [
        "# buildfleet fish completion: buildfleet completion fish | source",
        "complete -c buildfleet -f",
        ...commands.map((c) => `complete -c buildfleet -n __fish_use_subcommand -a ${c.name}`),
        ...commands.flatMap((c) =>
          c.flags
            .filter((f) => f.startsWith("--"))
            .map((f) => `complete -c buildfleet -n '__fish_seen_subcommand_from ${c.name}' -l ${f.slice(2)}`),
        ),
        "",
      ].join("\n");
    default:
      throw new UsageError(`completion expects bash, zsh or fish, got ${JSON.stringify(shell)}`);
  }
}

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command("completion")
    .argument("<shell>", "bash, zsh or fish")
    .description("print a shell completion script (bash: source <(buildfleet completion bash))")
    .action((shell: string) => {
      ctx.io.stdout(completionScript(shell, program));
    });
}
