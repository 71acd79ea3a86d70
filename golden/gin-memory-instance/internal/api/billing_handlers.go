package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/shop/internal/httpjson"
)

// RequirePlan is gin middleware that lets through requests from sites on
// a paid plan, one of plans (package names, as in the Wix app dashboard)
// when any are given, and answers the others 402, code plan_required,
// with the upgrade URL. It reads the authenticated identity, so it goes
// after authentication (and the role check); the handler then finds the
// plan with billing.FromContext.
func (h *handlers) RequirePlan(plans ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, err := h.svc.requirePlan(c.Request.Context(), identity(c), plans)
		if err != nil {
			abortWithError(c, err)
			return
		}
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

func (h *handlers) plan(c *gin.Context) {
	body, err := h.svc.plan(c.Request.Context(), identity(c))
	if err != nil {
		abortWithError(c, err)
		return
	}
	httpjson.Write(c.Writer, http.StatusOK, body)
}

func (h *handlers) premium(c *gin.Context) {
	httpjson.Write(c.Writer, http.StatusOK, premiumBody(c.Request.Context()))
}
