/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InjectorRegistryTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  /** Counts injections still in effect; reverting one that fails throws. */
  static final class CountingInjector implements FaultInjector {
    final AtomicInteger inEffect = new AtomicInteger();

    @Override
    public String type() {
      return "counting";
    }

    @Override
    public List<String> validate(FaultSpec spec) {
      return spec.parameters().containsKey("bad") ? List.of("parameters.bad: is not allowed") : List.of();
    }

    @Override
    public String describe(FaultSpec spec) {
      return "counts";
    }

    @Override
    public ActiveFault inject(FaultSpec spec, FaultContext context) {
      inEffect.incrementAndGet();
      boolean failing = spec.parameters().containsKey("stuck");
      return new ActiveFault() {
        @Override
        public FaultSpec spec() {
          return spec;
        }

        @Override
        public void renew(Instant leaseUntil) {}

        @Override
        public void revert() throws FaultException {
          if (failing) {
            throw new FaultException(spec.name() + " could not be restored; do X by hand");
          }
          inEffect.decrementAndGet();
        }
      };
    }
  }

  private static FaultSpec spec(String name, Map<String, Object> p) {
    return new FaultSpec(name, "counting", "svc", p, Duration.ofMinutes(1));
  }

  @Test
  void countsPerRunAndTheKillSwitchRevertsEverything() throws FaultException {
    CountingInjector counting = new CountingInjector();
    InjectorRegistry registry = InjectorRegistry.of(Clock.fixed(NOW, ZoneOffset.UTC), List.of(counting));
    FaultContext run1 = new FaultContext("e", "run-1", NOW.plusSeconds(60));
    registry.inject(spec("a", Map.of()), run1);
    registry.inject(spec("b", Map.of("stuck", true)), run1);
    registry.inject(spec("c", Map.of()), new FaultContext("e", "run-2", NOW.plusSeconds(60)));
    assertThat(registry.activeCount("run-1")).isEqualTo(2);
    assertThat(registry.activeCount()).isEqualTo(3);
    List<FaultException> failures = registry.revertAll();
    assertThat(failures).singleElement().extracting(Throwable::getMessage).asString().contains("by hand");
    assertThat(counting.inEffect).hasValue(1);
    assertThat(registry.activeCount("run-2")).isZero();
    assertThat(registry.activeCount("run-1")).isEqualTo(1);
  }

  @Test
  void faultsWhoseLeasePassedAreNotCounted() throws FaultException {
    InjectorRegistry registry = InjectorRegistry.of(Clock.fixed(NOW, ZoneOffset.UTC), List.of(new CountingInjector()));
    registry.inject(spec("old", Map.of()), new FaultContext("e", "r", NOW.minusSeconds(1)));
    assertThat(registry.activeCount("r")).isZero();
  }

  @Test
  void rejectsUnknownTypesAndInvalidSpecs() {
    InjectorRegistry registry = InjectorRegistry.of(Clock.fixed(NOW, ZoneOffset.UTC), List.of(new CountingInjector()));
    assertThat(registry.validate(new FaultSpec("x", "warp", "svc", Map.of(), Duration.ofSeconds(1))))
        .containsExactly("type: unknown fault type 'warp' (known: counting)");
    assertThatThrownBy(() -> registry.inject(spec("x", Map.of("bad", 1)), new FaultContext("e", "r", NOW.plusSeconds(9))))
        .isInstanceOf(FaultException.class).hasMessageContaining("parameters.bad: is not allowed");
  }

  @Test
  void theStandardRegistryHasTheFourTypes() {
    try (InjectorRegistry r = InjectorRegistry.standard(b -> java.util.concurrent.CompletableFuture.completedFuture(null),
        Clock.fixed(NOW, ZoneOffset.UTC), java.net.http.HttpClient.newHttpClient())) {
      assertThat(r.types()).containsExactlyInAnyOrder("chaos-monkey", "proxy-tcp", "proxy-http", "process");
      assertThat(r.validate(new FaultSpec("m", "chaos-monkey", "http://127.0.0.1:1/actuator",
          Map.of("latencyMs", 70_000), Duration.ofSeconds(5))))
          .containsExactly("parameters.latencyMs: must be between 1 and 60000");
      assertThat(r.validate(new FaultSpec("p", "proxy-tcp", "inventory",
          Map.of("toxic", "http_abort"), Duration.ofSeconds(5))))
          .containsExactly("parameters.toxic: http_abort is an HTTP toxic: use type proxy-http");
    }
  }

  @Test
  void controlAndActuatorUrlsNeedAValidPortAndAScheme() {
    try (InjectorRegistry r = InjectorRegistry.standard(b -> java.util.concurrent.CompletableFuture.completedFuture(null),
        Clock.fixed(NOW, ZoneOffset.UTC), java.net.http.HttpClient.newHttpClient())) {
      // a URL without a scheme used to throw a NullPointerException (answered 500)
      assertThat(r.validate(new FaultSpec("m", "chaos-monkey", "inventory",
          Map.of("actuatorUrl", "//127.0.0.1:8080/actuator", "latencyMs", 100), Duration.ofSeconds(5))))
          .containsExactly("parameters.actuatorUrl: must be an http(s) URL, got //127.0.0.1:8080/actuator");
      // ports out of range used to pass validation and fail the run with the client's exception
      assertThat(r.validate(new FaultSpec("m", "chaos-monkey", "inventory",
          Map.of("actuatorUrl", "http://127.0.0.1:99999/actuator", "latencyMs", 100), Duration.ofSeconds(5))))
          .containsExactly("parameters.actuatorUrl: port must be between 1 and 65535, got http://127.0.0.1:99999/actuator");
      assertThat(r.validate(new FaultSpec("p", "proxy-http", "inventory",
          Map.of("controlUrl", "http://127.0.0.1:70000", "toxic", "http_delay", "delayMs", 1), Duration.ofSeconds(5))))
          .containsExactly("parameters.controlUrl: port must be between 1 and 65535, got http://127.0.0.1:70000");
    }
  }
}
