package cli

import (
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/server"
	"github.com/spf13/cobra"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of courier.yaml",
		Long: `Schema prints the JSON Schema (draft 2020-12) of the configuration file, connectors
included, for editors that complete and check YAML (for example with a
# yaml-language-server: $schema=courier.schema.json comment).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := config.JSONSchema(server.RootSpec(), connector.Global().Specs())
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(b, '\n'))
			return err
		},
	}
}
