package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// docs/terraform.md names every attribute of every resource and data
// source, and the schema describes each: the reference stays true.
func TestDocsNameEveryAttribute(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "terraform.md"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names := map[string]map[string]string{}
	for _, r := range []resource.Resource{newMachineResource(), newAttachmentResource()} {
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "dockbake"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		names[meta.TypeName] = map[string]string{}
		for n, a := range resp.Schema.Attributes {
			names[meta.TypeName][n] = a.GetDescription()
		}
	}
	var meta datasource.MetadataResponse
	ds := newUserDataSource()
	ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "dockbake"}, &meta)
	var resp datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &resp)
	names[meta.TypeName] = map[string]string{}
	for n, a := range resp.Schema.Attributes {
		names[meta.TypeName][n] = a.GetDescription()
	}
	for typ, attrs := range names {
		section := sectionOf(string(doc), "### `"+typ+"`")
		if section == "" {
			t.Errorf("docs/terraform.md has no section for %s", typ)
			continue
		}
		for n, desc := range attrs {
			if !strings.Contains(section, "`"+n+"`") {
				t.Errorf("docs/terraform.md does not describe %s.%s", typ, n)
			}
			if desc == "" {
				t.Errorf("%s.%s has no description in the schema", typ, n)
			}
		}
	}
}

// sectionOf is the text from heading to the next heading of its level.
func sectionOf(doc, heading string) string {
	i := strings.Index(doc, heading)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(heading):]
	if j := strings.Index(rest, "\n### "); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
