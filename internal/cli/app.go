// Package cli builds Courier's command tree. One file per subcommand; App returns the whole
// tree so that tests can drive it without a process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// exitError carries an exit status through cobra without printing anything extra: the command
// has already said what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// App returns Courier's command tree writing to the given streams.
func App(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "courier",
		Short:         "Courier is an HL7 v2 integration engine",
		Long:          "Courier receives, stores, acknowledges, validates, transforms, routes and delivers HL7 v2 messages.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newVersionCmd(),
		newInspectCmd(),
		newACKCmd(),
		newValidateCmd(),
		newServeCmd(),
		newLintCmd(),
		newSchemaCmd(),
		newConvertCmd(),
		newMessagesCmd(),
		newTestCmd(),
		newDocsCmd(),
		newSendCmd(),
		newListenCmd(),
		newBenchCmd(),
	)
	return root
}

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := App(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(stderr, "courier: %v\n", err)
	return 1
}

// Version returns the module version and VCS revision recorded in the binary.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Courier's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "courier %s\n", Version())
			return nil
		},
	}
}
