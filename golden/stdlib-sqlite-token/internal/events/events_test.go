package events

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"example.com/shop/internal/webhooks"
)

// A handler is a function of an event: test it with the event Wix sends.
func TestOrderCreated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, entity, want string
	}{
		{"an order", `{"id":"o-1","number":"10001","priceSummary":{"total":{"amount":"25","formattedAmount":"€25.00"}}}`,
			`"msg":"events: order created","instance_id":"inst-1","order":"10001","total":"€25.00"`},
		{"no entity", ``, `"msg":"events: order without a readable entity"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			d := Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			ev := webhooks.Event{Type: "wix.ecom.v1.order_created", InstanceID: "inst-1", ID: "e-1", Entity: json.RawMessage(tt.entity)}
			if err := d.orderCreated(t.Context(), ev); err != nil {
				t.Fatalf("orderCreated: %v", err)
			}
			if !strings.Contains(logs.String(), tt.want) {
				t.Errorf("logged %s, want %s", logs.String(), tt.want)
			}
		})
	}
}
