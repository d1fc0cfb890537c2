package cli

import (
	"github.com/courier-hl7/courier/internal/server"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run Courier: receive, store, acknowledge and deliver messages",
		Long: `Serve runs the channels of a configuration file until it is stopped (Ctrl-C or SIGTERM),
and reloads the file on SIGHUP, restarting only the channels whose configuration changed.

Without --config it runs the embedded default: an MLLP listener on port 2575 that stores every
message in ./courier-data/courier.db and acknowledges it once stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return server.Run(cmd.Context(), server.RunOptions{File: file, Out: cmd.OutOrStdout(), Logs: cmd.ErrOrStderr()})
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "configuration file (courier.yaml); default: the embedded default")
	return cmd
}
