package buildinfo

import "testing"

func TestDescribe(t *testing.T) {
	tests := []struct{ version, want string }{
		{"", "Shop devel (stdlib/sqlite/instance)"},
		{"v1.2.0", "Shop v1.2.0 (stdlib/sqlite/instance)"},
	}
	for _, tt := range tests {
		if got := Describe(tt.version); got != tt.want {
			t.Errorf("Describe(%q) = %q, want %q", tt.version, got, tt.want)
		}
	}
}
