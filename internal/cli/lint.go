package cli

import (
	"fmt"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/server"
	"github.com/spf13/cobra"
)

func newLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE...",
		Short: "Check configuration files without running them",
		Long: `Lint reads each configuration file as serve would — keys, types, references, paths,
connector settings — and reports every problem at once, each with file:line:col. It starts
nothing and binds no port. Exit status 0 only when every file is valid.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, f := range args {
				p, err := server.Load(server.LoadOptions{File: f, Env: connector.Global()})
				if err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				n := len(p.Channels)
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d channel%s)\n", f, n, plural(n))
				server.Close(p)
			}
			if bad > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
