package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/server"
	"github.com/spf13/cobra"
)

// referenceDocs returns the generated reference pages by file name (relative to docs/):
// config.md for courier.yaml, and connectors/<category>-<kind>.md for every registered
// source, destination and step, with an index.
func referenceDocs(reg *config.Registry) map[string]string {
	pages := map[string]string{"config.md": config.MarkdownDoc(server.RootSpec(), "")}
	var index strings.Builder
	index.WriteString("<!-- Generated from the specs in Courier's source code; do not edit. -->\n\n# Connectors and steps\n\n")
	for _, cat := range []string{connector.CategorySource, connector.CategoryDestination, connector.CategoryStep} {
		kinds := reg.Kinds(cat)
		sort.Strings(kinds)
		title := map[string]string{connector.CategorySource: "Sources", connector.CategoryDestination: "Destinations", connector.CategoryStep: "Transform steps"}[cat]
		fmt.Fprintf(&index, "## %s\n\n| type | what it does |\n|---|---|\n", title)
		for _, k := range kinds {
			spec, _ := reg.Lookup(cat, k)
			name := fmt.Sprintf("connectors/%s-%s.md", cat, k)
			pages[name] = config.MarkdownDoc(spec, cat)
			fmt.Fprintf(&index, "| [`%s`](%s-%s.md) | %s |\n", k, cat, k, strings.ReplaceAll(spec.Summary, "|", "\\|"))
		}
		index.WriteString("\n")
	}
	pages["connectors/README.md"] = index.String()
	return pages
}

func newDocsCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:    "docs",
		Short:  "Write the generated reference pages (docs/config.md, docs/connectors/)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for name, content := range referenceDocs(connector.Global().Specs()) {
				p := filepath.Join(out, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reference pages written to %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "docs", "folder to write into")
	return cmd
}
