// Package fleet is the fleet inventory: one YAML file that describes many
// machines in the settings vocabulary the Packer plugin and the Terraform
// provider share (package settings), decoded strictly with every problem's
// file, line and path; the plan of what an apply changes in the store and
// in the user-data directory; and the apply itself, one store batch for
// the whole fleet.
//
// A fleet is identified by its name: the inventory's `fleet:` key, else
// the file's name without its extension (web.yaml is fleet "web"). Every
// machine it makes records that name (store.Record.Fleet); machines of
// another fleet or of none are never changed by it, and a name clash with
// one of them is an error.
package fleet
