package generator

import "fmt"

// goVersion is the go directive of every generated go.mod: the newest
// minimum among the pinned modules below (modernc.org/sqlite and
// golang.org/x/sync ask for Go 1.26).
const goVersion = "1.26.0"

// deps pins every module a generated project may require, in one place:
// bumping a dependency of generated projects is a one-line change here.
// Templates ask for a version with {{dep "module/path"}}.
var deps = map[string]string{
	"github.com/gin-gonic/gin":           "v1.12.0", // not newer: later gin-contrib/sse releases need a newer Go
	"github.com/go-chi/chi/v5":           "v5.5.0",
	"github.com/go-json-experiment/json": "v1.27.2",
	"github.com/golang-jwt/jwt/v5":       "v5.3.1",
	"github.com/jackc/pgx/v5":            "v5.12.0",
	"github.com/labstack/echo/v5":        "v5.4.4",
	"github.com/rs/cors":                 "v1.11.1",
	"golang.org/x/sync":                  "v0.25.0",
	"golang.org/x/time":                  "v0.16.0",
	"modernc.org/sqlite":                 "v1.62.0",
}

// depVersion is the template function dep.
func depVersion(module string) (string, error) {
	v, ok := deps[module]
	if !ok {
		return "", fmt.Errorf("dep %q: no pinned version; add it to generator/deps.go", module)
	}
	return v, nil
}
