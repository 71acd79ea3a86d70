package api

import (
	"net/http"

	"example.com/shop/internal/cors"
	"example.com/shop/internal/wixauth"
)

// New returns the API's handler, routed by net/http's ServeMux:
//
//	GET  /healthz        liveness: 200 while the process serves
//	GET  /readyz         readiness: 503 when the store fails or the server stops
//	GET  /api/me         the caller's verified identity
//	GET  /api/settings   the caller's settings document
//	PUT  /api/settings   replace it (If-Match: "<version>" to avoid lost updates)
//	GET  /api/site       the caller's site, from Wix's Get App Instance API
//	POST /webhooks       Wix webhooks (a JWT signed by Wix)
//
// Every request goes through request logging, panic recovery, CORS and a
// body size limit, in that order; an /api route then authenticates the caller and checks their role (a Wix user of
// the site for the dashboard's routes).
//
// Every error is JSON {"error": code, "message": text}, including 404 and
// 405; a body over MaxBodyBytes gets 413. A path that is not in canonical
// form, such as //healthz or /api/./me, is unknown (404) rather than
// redirected.
func New(d Deps) http.Handler {
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix, draining: d.Draining}}
	dashboard := func(next http.Handler) http.Handler {
		return d.Auth.Middleware(wixauth.RequireRole(wixauth.RoleUser)(next))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", h.svc.readyz)
	mux.Handle("GET /api/me", dashboard(http.HandlerFunc(h.me)))
	mux.Handle("GET /api/settings", dashboard(http.HandlerFunc(h.getSettings)))
	mux.Handle("PUT /api/settings", dashboard(http.HandlerFunc(h.putSettings)))
	mux.Handle("GET /api/site", dashboard(http.HandlerFunc(h.site)))
	mux.Handle("POST /webhooks", d.Webhooks)
	mux.Handle("/", routeErrors(mux))

	var handler http.Handler = exactPaths(mux)
	handler = limitBody(handler, MaxBodyBytes)
	handler = cors.Middleware(d.CORS)(handler)
	handler = recoverPanics(handler, d.Logger)
	handler = logRequests(handler, d.Logger)
	return handler
}
