package api

import (
	"net/http"

	"example.com/shop/internal/httpjson"
)

// RequirePlan is middleware that lets through requests from sites on a
// paid plan, one of plans (package names, as in the Wix app dashboard)
// when any are given, and answers the others 402, code plan_required,
// with the upgrade URL. It reads the authenticated identity, so it goes
// after authentication (and the role check); the handler then finds the
// plan with billing.FromContext.
func (h *handlers) RequirePlan(plans ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := h.svc.requirePlan(r.Context(), identity(r), plans)
			if err != nil {
				writeError(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func (h *handlers) plan(w http.ResponseWriter, r *http.Request) {
	body, err := h.svc.plan(r.Context(), identity(r))
	if err != nil {
		writeError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, body)
}

func (h *handlers) premium(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, premiumBody(r.Context()))
}
