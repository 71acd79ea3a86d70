package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"
	"golang.org/x/term"

	"github.com/wixgen/wixgen/generator"
)

// prompter asks for answers on a terminal.
type prompter struct {
	stdin *os.File
	out   *os.File
	stdio survey.AskOpt
}

// newPrompter returns a prompter when stdin and stderr are terminals, and
// nil otherwise: a pipeline is never asked anything.
func newPrompter(stdin *os.File, stderr io.Writer) *prompter {
	out, ok := stderr.(*os.File)
	if !ok || stdin == nil || !term.IsTerminal(int(stdin.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil
	}
	return &prompter{stdin: stdin, out: out, stdio: survey.WithStdio(stdin, out, out)}
}

// askMissing asks, in table order, for every answer not in set, offering
// its default. When ctx ends first (SIGTERM, or SIGINT from outside the
// terminal) it puts the terminal back as it was and returns ctx's error;
// Ctrl-C typed at a prompt returns context.Canceled too.
func (p *prompter) askMissing(ctx context.Context, a *generator.Answers, set map[string]bool, dir string) error {
	state, err := term.GetState(int(p.stdin.Fd()))
	if err != nil {
		return fmt.Errorf("read terminal state: %w", err)
	}
	answers := *a
	done := make(chan error, 1)
	go func() { done <- p.askAll(&answers, set, dir) }()
	select {
	case err := <-done:
		*a = answers
		return err
	case <-ctx.Done():
		// The prompt still waits for a key, in raw mode; leave the
		// terminal usable for the shell.
		term.Restore(int(p.stdin.Fd()), state)
		fmt.Fprintln(p.out)
		return ctx.Err()
	}
}

func (p *prompter) askAll(a *generator.Answers, set map[string]bool, dir string) error {
	for _, o := range generator.Options() {
		if set[o.Key] {
			continue
		}
		def, err := defaultFor(o, a, dir)
		if need, ok := generator.LookupOption(o.Needs); ok && need.Get(a) == "false" {
			// Nothing to ask: it needs what was just refused.
			if err := o.Set(a, def); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			def = "" // no usable default: the user must type a name
		}
		v, err := p.ask(o, a, def)
		if errors.Is(err, terminal.InterruptErr) {
			return context.Canceled
		}
		if err != nil {
			return fmt.Errorf("ask %s: %w", o.Key, err)
		}
		if err := o.Set(a, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *prompter) ask(o generator.Option, a *generator.Answers, def string) (string, error) {
	switch o.Kind {
	case generator.KindChoice:
		var v string
		q := &survey.Select{
			Message: o.Prompt + ":",
			Options: o.Values(),
			Default: def,
			Description: func(_ string, i int) string {
				return o.Choices[i].Description
			},
		}
		return v, survey.AskOne(q, &v, p.stdio)
	case generator.KindBool:
		var v bool
		q := &survey.Confirm{Message: o.Prompt, Default: def == "true", Help: o.Usage}
		err := survey.AskOne(q, &v, p.stdio)
		return fmt.Sprint(v), err
	default:
		var v string
		q := &survey.Input{Message: o.Prompt + ":", Default: def, Help: o.Usage}
		check := func(ans any) error { return o.Check(a, fmt.Sprint(ans)) }
		return v, survey.AskOne(q, &v, p.stdio, survey.WithValidator(check))
	}
}
