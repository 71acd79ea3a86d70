// Package buildinfo says what the service is built from, for the team's
// status page.
package buildinfo

// Service is the service's name as the team's dashboards show it.
const Service = "Shop"

// Stack names the router, store and authentication the service was
// generated with.
const Stack = "stdlib/sqlite/instance"

// Describe is the line the status page shows for this service at
// version (empty for a development build).
func Describe(version string) string {
	if version == "" {
		version = "devel"
	}
	return Service + " " + version + " (" + Stack + ")"
}
