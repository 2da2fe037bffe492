/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fault proxies running in this process, by name: the proxy injector finds in-process proxies
 * here, and the control endpoint serves them. Thread-safe.
 */
public final class FaultProxies {
  private final Map<String, FaultProxy> proxies = new ConcurrentHashMap<>();

  /**
   * Adds a started proxy.
   *
   * @throws IllegalArgumentException when another proxy already has that name
   */
  public FaultProxy register(FaultProxy proxy) {
    if (proxies.putIfAbsent(proxy.name(), proxy) != null) {
      throw new IllegalArgumentException("a fault proxy named " + proxy.name() + " is already registered");
    }
    return proxy;
  }

  public Optional<FaultProxy> get(String name) {
    return Optional.ofNullable(proxies.get(name));
  }

  /** Forgets (does not close) a proxy. */
  public void unregister(String name) {
    proxies.remove(name);
  }

  public List<FaultProxy> all() {
    return List.copyOf(proxies.values());
  }

  /** Closes and forgets every proxy. */
  public void closeAll() {
    for (FaultProxy p : all()) {
      p.close();
      proxies.remove(p.name(), p);
    }
  }
}
