package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wixgen/wixgen/generator"
	"github.com/wixgen/wixgen/templates"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version `go install` recorded.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v // installed with go install module@version
	}
	// A build from a checkout: name the commit, so a manifest says which
	// templates made the project.
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if len(rev) >= 12 {
		if modified == "true" {
			return "(devel) " + rev[:12] + "+dirty"
		}
		return "(devel) " + rev[:12]
	}
	return "(devel)"
}

// usageError is a mistake in how wixgen was called; it exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	var (
		ue usageError
		oe *generator.OptionError
		te *generator.TargetError
		tr troubleError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.As(err, &oe), errors.As(err, &te), errors.As(err, &tr):
		return 2 // for diff and upgrade --dry-run, 2 is also trouble, as in diff(1)
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1 // including a failed step such as go mod tidy, whatever its own status
}

// run is the whole program: main only adds the process around it.
func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, permuteArgs(app, args))
	if err == nil {
		return 0
	}
	var (
		reported reportedError
		ue       usageError
	)
	if errors.As(err, &reported) {
		return exitCode(err)
	}
	msg := message(err)
	if wantsJSON(args) {
		// Flag errors come before any command runs: still one JSON result.
		writeJSON(stdout, result{Error: msg, ExitCode: exitCode(err)})
		return exitCode(err)
	}
	fmt.Fprintf(stderr, "wixgen: %s\n", msg)
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Run 'wixgen --help' for usage.\n")
	}
	return exitCode(err)
}

// message is what wixgen tells the user about err.
func message(err error) string {
	var step *stepError
	if errors.Is(err, context.Canceled) && !errors.As(err, &step) {
		// Cancelled before a step ran: Write put everything back.
		return "interrupted; nothing was written"
	}
	return err.Error()
}

// wantsJSON reports whether the command line asks for --json output.
func wantsJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" || a == "-json" || a == "--json=true" || a == "-json=true" {
			return true
		}
	}
	return false
}

// writeJSON prints v as indented JSON, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// reportedError has already been reported (as JSON); run only sets the
// exit status.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

func newApp(stdin *os.File, stdout, stderr io.Writer) *cli.App {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
	app := &cli.App{
		Name:    "wixgen",
		Usage:   "generate a production-grade Go backend for a Wix app",
		Version: buildVersion(),
		Description: "wixgen writes a complete Go backend for a Wix app: signed-instance authentication,\n" +
			"CORS for https://<app-id>.wix.run, per-instance data, a Wix REST client, webhooks,\n" +
			"tests, Dockerfile, Makefile and CI. Run 'wixgen new --help' for the options, and\n" +
			"'wixgen upgrade --help' for bringing a generated project up to a newer wixgen.",
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		OnUsageError:         onUsage,
		ExitErrHandler:       func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q; commands are new, upgrade, diff, options, completion", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			newCommand(stdin, stderr),
			upgradeCommand(stderr),
			diffCommand(stderr),
			optionsCommand(),
			completionCommand(),
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsage
	}
	return app
}

// loadGenerator parses the embedded templates, with the overlay (nil for
// none) laid over them. A bad overlay is the user's: a usage error.
func loadGenerator(overlay *generator.Overlay) (*generator.Generator, error) {
	g, err := generator.New(generator.Config{Templates: templates.FS(), Version: buildVersion(), Overlay: overlay})
	if err != nil && overlay != nil {
		return nil, usageError{err}
	}
	return g, err
}

func optionsCommand() *cli.Command {
	return &cli.Command{
		Name:    "options",
		Aliases: []string{"list"},
		Usage:   "list every option, its values and default",
		Flags:   []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the options as JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("options takes no arguments, got %q", c.Args().First())
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(map[string]any{"options": generator.Options()})
			}
			w := c.App.Writer
			for _, o := range generator.Options() {
				fmt.Fprintf(w, "--%s (%s)\n    %s\n", o.Key, o.Kind, o.Usage)
				for _, ch := range o.Choices {
					def := ""
					if ch.Value == o.Default {
						def = " (default)"
					}
					fmt.Fprintf(w, "    %-10s %s%s\n", ch.Value, ch.Description, def)
				}
				if o.Kind == generator.KindBool {
					fmt.Fprintf(w, "    default: %s\n", o.Default)
				}
			}
			return nil
		},
	}
}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script",
		ArgsUsage: "bash|zsh|fish",
		Description: "Load completion in the current shell, for example:\n" +
			"  source <(wixgen completion bash)\n" +
			"  wixgen completion fish > ~/.config/fish/completions/wixgen.fish",
		Action: func(c *cli.Context) error {
			shell := c.Args().First()
			if c.NArg() != 1 {
				return usagef("completion takes one shell: bash, zsh or fish")
			}
			switch shell {
			case "bash":
				_, err := io.WriteString(c.App.Writer, bashCompletion)
				return err
			case "zsh":
				_, err := io.WriteString(c.App.Writer, zshCompletion)
				return err
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = io.WriteString(c.App.Writer, script)
				return err
			}
			return usagef("invalid shell %q: valid shells are bash, zsh, fish", shell)
		},
	}
}

const bashCompletion = `# bash completion for wixgen
_wixgen() {
  local cur opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _wixgen wixgen
`

const zshCompletion = `#compdef wixgen
_wixgen() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} "$cur" --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _wixgen wixgen
`

// permuteArgs moves a command's flags before its positional arguments, so
// `wixgen new ./shop --yes` works as well as `wixgen new --yes ./shop`
// (the flag package stops at the first positional argument).
func permuteArgs(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == "--generate-bash-completion" {
		return args // completion reads the words as typed
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := make(map[string]bool)
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] {
			if i+1 == len(rest) {
				// The value is missing: let the flag parser say so.
				return append([]string{args[0], args[1]}, flags...)
			}
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}
