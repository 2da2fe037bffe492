/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.faultline.chaos.fault.FaultParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The TCP layer of the fault proxy, with real sockets and a real echo server. */
class TcpFaultProxyIT {
  private static final long SEED = 42;
  private EchoServer echo;
  private FaultProxy proxy;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @BeforeEach
  void start() throws IOException {
    echo = new EchoServer();
    proxy = FaultProxy.builder("echo").upstream("127.0.0.1", echo.port()).clock(clock).seed(SEED).start();
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Toxic toxic(String name, Map<String, Object> params) {
    FaultParameters p = FaultParameters.of(params, "parameters");
    Toxic t = Toxic.parse(name, p, Toxic.Labels.NONE);
    assertThat(p.errors()).isEmpty();
    return t;
  }

  private void add(String name, Map<String, Object> params) {
    proxy.addToxic(toxic(name, params), clock.instant().plusSeconds(60));
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(5_000);
    s.setTcpNoDelay(true);
    return s;
  }

  private static long roundTripMillis(Socket s, byte[] payload) throws IOException {
    long t0 = System.nanoTime();
    s.getOutputStream().write(payload);
    byte[] got = s.getInputStream().readNBytes(payload.length);
    assertThat(got).isEqualTo(payload);
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void forwardsUntouchedWithoutToxics() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTripMillis(s, "hello".getBytes())).isLessThan(200);
    }
  }

  @Test
  void latencyIsAddedPerDirectionAndEndsWhenRemoved() throws IOException {
    add("slow", Map.of("toxic", "latency", "stream", "downstream", "latencyMs", 300, "jitterMs", 50));
    try (Socket s = connect()) {
      long ms = roundTripMillis(s, "ping".getBytes());
      assertThat(ms).isBetween(250L, 1_000L);
      add("slower-up", Map.of("toxic", "latency", "stream", "upstream", "latencyMs", 200));
      assertThat(roundTripMillis(s, "ping".getBytes())).isBetween(450L, 1_300L);
      proxy.removeToxic("slow");
      proxy.removeToxic("slower-up");
      assertThat(roundTripMillis(s, "ping".getBytes())).isLessThan(200);
    }
  }

  @Test
  void bandwidthIsLimited() throws IOException {
    add("thin", Map.of("toxic", "bandwidth", "stream", "downstream", "rateKbps", 100));
    byte[] payload = new byte[50 * 1024];
    Arrays.fill(payload, (byte) 7);
    try (Socket s = connect()) {
      long ms = roundTripMillis(s, payload);
      // 50 KiB at 100 KiB/s takes about 500 ms; unlimited loopback takes a few ms
      assertThat(ms).isBetween(400L, 2_000L);
    }
  }

  @Test
  void resetPeerIsSeenAsConnectionReset() throws IOException {
    add("rst", Map.of("toxic", "reset_peer", "timeoutMs", 100));
    try (Socket s = connect()) {
      s.getOutputStream().write("x".getBytes());
      assertThatThrownBy(() -> {
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
          // echo of "x", then the reset
        }
      }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
  }

  @Test
  void blackholeMakesClientsTimeOut() throws IOException {
    add("hole", Map.of("toxic", "timeout", "stream", "upstream", "timeoutMs", 0));
    try (Socket s = connect()) {
      s.setSoTimeout(500);
      s.getOutputStream().write("anyone?".getBytes());
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void timeoutClosesTheConnectionAfterItsTimeout() throws IOException {
    add("cut", Map.of("toxic", "timeout", "timeoutMs", 200));
    try (Socket s = connect()) {
      s.getOutputStream().write("anyone?".getBytes());
      long t0 = System.nanoTime();
      int r;
      try {
        r = s.getInputStream().read();
      } catch (SocketException e) {
        r = -1;
      }
      assertThat(r).isEqualTo(-1);
      assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(100L, 3_000L);
    }
  }

  @Test
  void slicerDeliversSmallPieces() throws IOException {
    add("slices", Map.of("toxic", "slicer", "averageSize", 10, "sizeVariation", 5, "delayMicros", 5_000));
    byte[] payload = new byte[200];
    Arrays.fill(payload, (byte) 'a');
    try (Socket s = connect()) {
      s.getOutputStream().write(payload);
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1024];
      int total = 0;
      int reads = 0;
      int largest = 0;
      while (total < payload.length) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        total += n;
        reads++;
        largest = Math.max(largest, n);
      }
      assertThat(total).isEqualTo(200);
      assertThat(reads).isGreaterThanOrEqualTo(8);
      assertThat(largest).isLessThanOrEqualTo(15 * 2); // two slices may coalesce in the kernel
    }
  }

  @Test
  void dataLimitClosesAfterTheLimit() throws IOException {
    add("limit", Map.of("toxic", "limit_data", "bytes", 10));
    try (Socket s = connect()) {
      s.getOutputStream().write("0123456789ABCDEF".getBytes());
      byte[] got = s.getInputStream().readAllBytes();
      assertThat(new String(got)).isEqualTo("0123456789");
    }
  }

  @Test
  void slowCloseDelaysTheClose() throws IOException {
    add("lingering", Map.of("toxic", "slow_close", "stream", "downstream", "delayMs", 400));
    try (Socket s = connect()) {
      assertThat(roundTripMillis(s, "bye".getBytes())).isLessThan(300);
      long t0 = System.nanoTime();
      s.shutdownOutput();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(350L, 3_000L);
    }
  }

  @Test
  void toxicityZeroSparesConnections() throws IOException {
    add("never", Map.of("toxic", "latency", "latencyMs", 1_000, "toxicity", 0.0));
    try (Socket s = connect()) {
      assertThat(roundTripMillis(s, "quick".getBytes())).isLessThan(500);
    }
  }

  @Test
  void aToxicExpiresByItselfWhenItsLeaseIsNotRenewed() throws IOException {
    proxy.addToxic(toxic("leased", Map.of("toxic", "latency", "latencyMs", 500)), clock.instant().plusSeconds(30));
    assertThat(proxy.renewToxic("leased", clock.instant().plusSeconds(60))).isTrue();
    clock.advance(Duration.ofSeconds(59));
    assertThat(proxy.toxics()).extracting(i -> i.toxic().name()).containsExactly("leased");
    clock.advance(Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(proxy.toxics()).isEmpty());
    assertThat(proxy.renewToxic("leased", clock.instant().plusSeconds(60))).isFalse();
    try (Socket s = connect()) {
      assertThat(roundTripMillis(s, "free".getBytes())).isLessThan(300);
    }
  }

  @Test
  void httpToxicsAreRefusedOnATcpProxy() {
    assertThatThrownBy(() -> add("abort", Map.of("toxic", "http_abort", "status", 503)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("protocol HTTP");
  }

  /** A clock tests move by hand. */
  static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
