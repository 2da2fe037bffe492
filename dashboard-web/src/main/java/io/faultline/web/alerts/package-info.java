/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Alerting over HTTP: Prometheus' {@code /api/v1/rules} and {@code /api/v1/alerts} (same JSON as
 * Prometheus, for Grafana's alert views) and {@code /api/slos} for the dashboard's SLO page.
 */
package io.faultline.web.alerts;
