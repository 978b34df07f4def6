package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/dmimport"
	"github.com/dockbake/dockbake/store"
)

// completeCmd is the hidden command the completion scripts call:
// `dockbake __complete :CUR WORD...` prints the candidates for the word
// being typed (CUR, after the colon that keeps it from being empty, which
// older PowerShell drops) given the words before it, one per line.
const completeCmd = "__complete"

func completionCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh, fish or powershell",
		ArgsUsage: "SHELL",
		Description: `Load it into the running shell:
  bash:        source <(dockbake completion bash)
  zsh:         source <(dockbake completion zsh)      (after compinit)
  fish:        dockbake completion fish | source
  PowerShell:  dockbake completion powershell | Out-String | Invoke-Expression
or save it where the shell looks for completions, e.g.
~/.local/share/bash-completion/completions/dockbake, _dockbake in a directory of
$fpath, ~/.config/fish/completions/dockbake.fish, or your PowerShell $PROFILE.
Machine names complete from the store.`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withHint(fmt.Errorf("expected one shell name, got %d arguments", c.NArg()), "dockbake completion bash (or zsh, fish, powershell)")
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return withHint(fmt.Errorf("no completion for shell %q: use bash, zsh, fish or powershell", c.Args().First()), "dockbake completion bash")
			}
			_, err := fmt.Fprint(p.stdout, script)
			return err
		},
	}
}

func completeCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:            completeCmd,
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) == 0 || !strings.HasPrefix(args[0], ":") {
				return fmt.Errorf("usage: dockbake %s :CURRENT [WORD...]", completeCmd)
			}
			cur := strings.TrimPrefix(args[0], ":")
			for _, cand := range candidates(c.App, p, args[1:], cur) {
				if strings.HasPrefix(cand, cur) {
					fmt.Fprintln(p.stdout, cand)
				}
			}
			return nil
		},
	}
}

// position is where the words before the cursor leave the command line.
type position struct {
	cmd        *cli.Command // nil: no command yet
	flags      []cli.Flag
	positional []string
	valueOf    cli.Flag          // the flag whose value is being typed
	values     map[string]string // flag values given, by the flag's name
}

func locate(app *cli.App, words []string) position {
	pos := position{flags: app.Flags, values: map[string]string{}}
	for _, w := range words {
		if pos.valueOf != nil {
			pos.values[pos.valueOf.Names()[0]] = w
			pos.valueOf = nil
			continue
		}
		if strings.HasPrefix(w, "-") && w != "-" && w != "--" {
			name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			defs := pos.flags
			if flagNamed(defs, name) == nil {
				defs = app.Flags // a global flag after the command, as reorderArgs allows
			}
			f := flagNamed(defs, name)
			switch {
			case f == nil:
			case hasValue:
				pos.values[f.Names()[0]] = value
			case takesValue(defs, w):
				pos.valueOf = f
			}
			continue
		}
		switch {
		case pos.cmd == nil:
			pos.cmd = app.Command(w)
			if pos.cmd == nil {
				return position{}
			}
			pos.flags = pos.cmd.Flags
		case len(pos.positional) == 0 && pos.cmd.Command(w) != nil:
			pos.cmd = pos.cmd.Command(w)
			pos.flags = pos.cmd.Flags
		default:
			pos.positional = append(pos.positional, w)
		}
	}
	return pos
}

// candidates lists what may come at the cursor; the caller filters them by
// the prefix typed.
func candidates(app *cli.App, p *proc, words []string, cur string) []string {
	pos := locate(app, words)
	switch {
	case pos.valueOf != nil:
		if pos.valueOf.Names()[0] == "shell" {
			return generator.ShellNames()
		}
		return nil // a file or free text: the shell's own completion
	case strings.HasPrefix(cur, "-"):
		return flagNames(pos.flags)
	case pos.cmd == nil:
		return commandNames(app.Commands)
	}
	var out []string
	if len(pos.positional) == 0 {
		out = commandNames(pos.cmd.Subcommands)
		if pos.cmd.Action == nil {
			return out
		}
	}
	switch {
	case pos.cmd.Name == "completion" && len(pos.positional) == 0:
		return []string{"bash", "zsh", "fish", "powershell"}
	case pos.cmd.Name == "import-docker-machine":
		return append(out, dockerMachineNames(p, pos.values["machine-storage-path"])...)
	case strings.HasPrefix(pos.cmd.ArgsUsage, "NAME") && len(pos.positional) == 0:
		return append(out, machineNames(p, pos.values["storage-path"])...)
	}
	return out
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func flagNames(flags []cli.Flag) []string {
	out := []string{"--help"}
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// machineNames lists the store's machines without creating the store.
func machineNames(p *proc, root string) []string {
	if root == "" {
		var err error
		if root, err = store.DefaultRoot(p.getenv); err != nil {
			return nil
		}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil
	}
	names, _ := (&store.Store{Root: abs}).Names()
	return names
}

// dockerMachineNames lists the machines of a Docker Machine store.
func dockerMachineNames(p *proc, root string) []string {
	if root == "" {
		var err error
		if root, err = dmimport.DefaultRoot(p.getenv); err != nil {
			return nil
		}
	}
	dm, err := dmimport.Open(root)
	if err != nil {
		return nil
	}
	names, _ := dm.Names()
	return names
}

// completionScripts ask `dockbake __complete` for the candidates, so machine
// names come from the store at the time of typing.
var completionScripts = map[string]string{
	"bash": `# bash completion for dockbake. Load it with: source <(dockbake completion bash)
_dockbake() {
    local IFS=$'\n'
    COMPREPLY=($("${COMP_WORDS[0]}" __complete ":${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null))
}
complete -o default -F _dockbake dockbake
`,
	"zsh": `#compdef dockbake
# zsh completion for dockbake. Load it with: source <(dockbake completion zsh)
_dockbake() {
    local -a candidates
    candidates=("${(@f)$("${words[1]}" __complete ":${words[CURRENT]}" "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
    if [[ -n ${candidates[1]} ]]; then
        compadd -- "${candidates[@]}"
    else
        _files
    fi
}
if [[ "${funcstack[1]}" == "_dockbake" ]]; then
    _dockbake "$@"
else
    compdef _dockbake dockbake
fi
`,
	"fish": `# fish completion for dockbake. Load it with: dockbake completion fish | source
function __dockbake_complete
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    set -l cur (commandline -ct)
    set -l out ($prog __complete ":$cur" $words 2>/dev/null)
    if test (count $out) -gt 0
        printf '%s\n' $out
    else
        __fish_complete_path "$cur"
    end
end
complete -c dockbake -f -a '(__dockbake_complete)'
`,
	"powershell": `# PowerShell completion for dockbake. Load it with:
#   dockbake completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName 'dockbake' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        ForEach-Object { $_.ToString() })
    $prog = $words[0]
    $rest = @()
    if ($words.Count -gt 1) { $rest = $words[1..($words.Count - 1)] }
    & $prog __complete ":$wordToComplete" @rest 2>$null | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
`,
}
