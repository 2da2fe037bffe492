/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.web.auth;

/** Why a request may not read: 401 (no or unknown credentials) or 403 (a role too weak), and why. */
public record AccessRefusal(int status, String message) {}
