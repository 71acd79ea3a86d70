// Package events holds the app's own handlers of Wix webhook events: app
// events, such as AppInstalled or PaidPlanPurchased, and the business
// events of the Wix APIs the app uses, such as wix.ecom.v1.order_created.
// This file is yours: add a line to Register and a handler for each event.
package events

import (
	"context"
	"encoding/json"
	"log/slog"

	"example.com/shop/internal/billing"
	"example.com/shop/internal/store"
	"example.com/shop/internal/webhooks"
	"example.com/shop/internal/wix"
)

// Deps is what the handlers use.
type Deps struct {
	Logger *slog.Logger
	Store  store.Store
	Wix    *wix.Client
	Plans  *billing.Plans
}

// Register registers the app's handlers with h, one line per event type.
// Wix sends an event only when the app subscribes to it in the Wix app
// dashboard, with the permission the event needs. A handler runs once per
// event, after the backend's own handling (installation records, plans),
// and within about a second: hand slow work to a goroutine or a queue. An
// error makes Wix deliver the event again later; return nil for an event
// you cannot use.
func Register(h *webhooks.Handler, d Deps) {
	h.On(webhooks.EventAppInstalled, d.appInstalled)
	h.On("wix.ecom.v1.order_created", d.orderCreated)
}

// appInstalled logs each installation; make it welcome the site instead.
func (d Deps) appInstalled(ctx context.Context, ev webhooks.Event) error {
	d.Logger.InfoContext(ctx, "events: app installed", "instance_id", ev.InstanceID)
	return nil
}

// order is the part of a Wix eCommerce order this app reads; the Orders
// API reference lists the rest.
type order struct {
	ID           string `json:"id"`
	Number       string `json:"number"`
	PriceSummary struct {
		Total struct {
			FormattedAmount string `json:"formattedAmount"`
		} `json:"total"`
	} `json:"priceSummary"`
}

// orderCreated logs each new order of a site that sells with Wix
// eCommerce (the app needs the Read Orders permission and to subscribe to
// Order Created).
func (d Deps) orderCreated(ctx context.Context, ev webhooks.Event) error {
	var o order
	if err := json.Unmarshal(ev.Entity, &o); err != nil {
		// Delivered again, it would be just as unreadable.
		d.Logger.WarnContext(ctx, "events: order without a readable entity", "instance_id", ev.InstanceID, "err", err)
		return nil
	}
	d.Logger.InfoContext(ctx, "events: order created", "instance_id", ev.InstanceID,
		"order", o.Number, "total", o.PriceSummary.Total.FormattedAmount)
	return nil
}
