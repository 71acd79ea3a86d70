package api

import (
	"net/http"

	"example.com/shop/internal/cors"
)

// New returns the API's handler, routed by net/http's ServeMux:
//
//	GET  /healthz        200 when the store answers, 503 when it does not
//	GET  /api/me         the caller's verified identity
//	GET  /api/settings   the caller's settings document
//	PUT  /api/settings   replace it (If-Match: "<version>" to avoid lost updates)
//	GET  /api/site       the caller's site, from Wix's Get App Instance API
//	POST /webhooks       Wix webhooks (a JWT signed by Wix)
//
// Every request goes through request logging, panic recovery, CORS and a
// body size limit, in that order. Every error is JSON {"error": code,
// "message": text}, including 404 and 405; a body over MaxBodyBytes gets
// 413. A path that is not in canonical form, such as //healthz or
// /api/./me, is unknown (404) rather than redirected.
func New(d Deps) http.Handler {
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix}}
	authed := d.Auth.Middleware

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.Handle("GET /api/me", authed(http.HandlerFunc(h.me)))
	mux.Handle("GET /api/settings", authed(http.HandlerFunc(h.getSettings)))
	mux.Handle("PUT /api/settings", authed(http.HandlerFunc(h.putSettings)))
	mux.Handle("GET /api/site", authed(http.HandlerFunc(h.site)))
	mux.Handle("POST /webhooks", d.Webhooks)
	mux.Handle("/", routeErrors(mux))

	var handler http.Handler = exactPaths(mux)
	handler = limitBody(handler, MaxBodyBytes)
	handler = cors.Middleware(d.CORS)(handler)
	handler = recoverPanics(handler, d.Logger)
	handler = logRequests(handler, d.Logger)
	return handler
}
