/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.store;

import static io.faultline.store.TestData.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.faultline.core.ingest.Signal;
import io.faultline.core.ingest.TelemetryBatch;
import io.faultline.core.log.LogEntry;
import io.faultline.core.log.LogPage;
import io.faultline.core.log.LogQueries;
import io.faultline.core.log.LogQueries.Bucket;
import io.faultline.core.log.LogQueries.FieldValues;
import io.faultline.core.log.LogQueries.TailPage;
import io.faultline.core.log.LogQueries.ValueCount;
import io.faultline.core.log.LogQuery;
import io.faultline.core.log.LogQuery.Direction;
import io.faultline.core.log.LogQueryException;
import io.faultline.core.log.LogStore;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link LogStore} promises. A backend extends this class and implements {@link
 * #newStore}. Each test starts from an empty store in a fresh directory; the store must use {@link
 * TestData#CLOCK} and keep at least one day of data. Writes go through {@link LogStore#indexer()}
 * exactly as the ingest pipeline drives it.
 */
public abstract class LogStoreContract {

  /** How long a store may take to make uncommitted data visible: one second, plus CI slack. */
  protected static final Duration VISIBILITY_DEADLINE = Duration.ofMillis(1500);

  /** A window holding every canned record. */
  protected static final Instant HOUR_AGO = NOW.minus(Duration.ofHours(1));

  @TempDir protected Path dir;

  protected LogStore store;
  private long nextPosition;

  /** Opens the store kept in {@code dir}, new or left by a previous call; uses the test clock. */
  protected abstract LogStore newStore(Path dir) throws IOException;

  @BeforeEach
  void openStore() throws IOException {
    store = newStore(dir);
    nextPosition = store.indexer().checkpoint();
  }

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) {
      store.close();
      store = null;
    }
  }

  /** Closes without committing and opens the store again from the same directory. */
  protected final void reopen() throws IOException {
    store.close();
    store = null;
    store = newStore(dir);
  }

  /** Applies one batch at the next log position, without committing; returns its position. */
  protected final long apply(ExportLogsServiceRequest request) throws IOException {
    long position = nextPosition;
    long next = position + request.getSerializedSize() + 16;
    store.indexer().apply(position, next, TelemetryBatch.of(Signal.LOGS, request));
    nextPosition = next;
    return position;
  }

  /** Applies at a given position (a replay), without committing. */
  protected final void applyAt(long position, ExportLogsServiceRequest request) throws IOException {
    long next = position + request.getSerializedSize() + 16;
    store.indexer().apply(position, next, TelemetryBatch.of(Signal.LOGS, request));
    nextPosition = Math.max(nextPosition, next);
  }

  /** Applies, commits and waits until the store holds {@code expected} records in the last day. */
  protected final void write(List<ExportLogsServiceRequest> requests) throws IOException {
    long before = count("*");
    int added = 0;
    for (ExportLogsServiceRequest request : requests) {
      apply(request);
      added += LogTestData.flatten(List.of(request)).size();
    }
    assertThat(store.indexer().commit()).isEqualTo(nextPosition);
    long expected = before + added;
    await()
        .atMost(VISIBILITY_DEADLINE)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(count("*")).isEqualTo(expected));
  }

  protected final void writeCanned() throws IOException {
    write(LogTestData.canned());
  }

  protected final LogQueries queries() {
    return store.queries();
  }

  protected final long count(String query) {
    return queries().search(LogQuery.of(query, NOW.minus(Duration.ofDays(1)), NOW.plusSeconds(1), 1)).total();
  }

  /** The bodies of every match in the last hour, newest first. */
  protected final List<String> bodies(String query) {
    LogPage page = queries().search(LogQuery.of(query, HOUR_AGO, NOW, LogQuery.MAX_LIMIT));
    assertThat(page.total()).isEqualTo(page.logs().size());
    return page.logs().stream().map(LogStoreContract::body).toList();
  }

  protected static String body(LogEntry e) {
    AnyValue b = e.record().getBody();
    return b.hasStringValue() ? b.getStringValue() : b.toString();
  }

  // ---- search semantics

  @Test
  void recordsComeBackLosslessNewestFirst() throws IOException {
    writeCanned();
    LogPage page = queries().search(LogQuery.of("", HOUR_AGO, NOW, 100));
    assertThat(page.total()).isEqualTo(8);
    assertThat(page.nextCursor()).isNull();
    List<ResourceLogs> expected = new ArrayList<>(LogTestData.flatten(LogTestData.canned()));
    java.util.Collections.reverse(expected);
    assertThat(page.logs()).extracting(LogEntry::resourceLogs).containsExactlyElementsOf(expected);
  }

  @Test
  void forwardDirectionIsOldestFirst() throws IOException {
    writeCanned();
    LogPage page =
        queries().search(new LogQuery("service:payments", HOUR_AGO, NOW, Direction.FORWARD, 10, null));
    assertThat(page.logs()).extracting(LogStoreContract::body)
        .containsExactly(
            "PaymentService failed: card declined for order ord-42",
            "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined",
            "Timeout calling https://bank.example.com/v2/charge");
  }

  @Test
  void fullTextFindsWordsCaseInsensitively() throws IOException {
    writeCanned();
    assertThat(bodies("declined")).hasSize(2);
    assertThat(bodies("DECLINED")).hasSize(2);
    assertThat(bodies("body:timeout")).containsExactly("Timeout calling https://bank.example.com/v2/charge");
    assertThat(bodies("nosuchword")).isEmpty();
  }

  @Test
  void identifiersPathsIpsAndUuidsAreFindable() throws IOException {
    writeCanned();
    assertThat(bodies("\"/api/v1/orders\"")).hasSize(1);
    assertThat(bodies("orders")).hasSize(1);
    assertThat(bodies("\"10.0.0.17\"")).hasSize(1);
    assertThat(bodies("\"550e8400-e29b-41d4-a716-446655440000\"")).hasSize(1);
    assertThat(bodies("a716")).hasSize(1);
    assertThat(bodies("CartValidator")).hasSize(1);
    assertThat(bodies("validator")).hasSize(1);
    assertThat(bodies("\"com.example.checkout.CartValidator\"")).hasSize(1);
    assertThat(bodies("paymentservice")).hasSize(1);
    assertThat(bodies("payment")).hasSize(1);
    assertThat(bodies("card_declined")).hasSize(1);
    assertThat(bodies("user_id")).hasSize(1);
    assertThat(bodies("\"bank.example.com\"")).hasSize(1);
    assertThat(bodies("OutOfMemoryError")).hasSize(1);
    assertThat(bodies("memory")).hasSize(1);
  }

  @Test
  void phrasesMatchConsecutiveWordsOnly() throws IOException {
    writeCanned();
    assertThat(bodies("\"card declined\"")).containsExactly("PaymentService failed: card declined for order ord-42");
    assertThat(bodies("\"declined card\"")).isEmpty();
    assertThat(bodies("\"PaymentService failed\"")).hasSize(1);
    assertThat(bodies("\"service failed\"")).hasSize(1);
    // with slop, stacked parts match too: card and declined share card_declined's position
    assertThat(bodies("\"card declined\"~1")).hasSize(2);
  }

  @Test
  void booleanOperatorsWildcardsAndFuzzy() throws IOException {
    writeCanned();
    assertThat(bodies("declined AND NOT retrying")).hasSize(1);
    assertThat(bodies("declin*")).hasSize(2);
    assertThat(bodies("*clined")).hasSize(2);
    assertThat(bodies("t?meout")).hasSize(1);
    assertThat(bodies("timout~1")).hasSize(1);
    assertThat(bodies("timeout OR products")).hasSize(2);
    assertThat(bodies("NOT declined")).hasSize(6);
    assertThat(bodies("service:payments AND (NOT declined)")).hasSize(1);
    assertThat(bodies("+get +products")).containsExactly("GET /products took 12ms");
  }

  @Test
  void exactFields() throws IOException {
    writeCanned();
    assertThat(bodies("service:payments")).hasSize(3);
    assertThat(bodies("service:pay*")).hasSize(3);
    assertThat(bodies("service:Payments")).isEmpty();
    assertThat(bodies("severity:error")).hasSize(2);
    assertThat(bodies("severity:ERROR")).hasSize(2);
    assertThat(bodies("level:fatal")).containsExactly("OutOfMemoryError in worker pool");
    assertThat(bodies("level:unknown")).hasSize(1);
    assertThat(bodies("trace_id:" + java.util.HexFormat.of().formatHex(TestData.CHECKOUT_TRACE_ID))).hasSize(1);
    assertThat(bodies("trace_id:" + java.util.HexFormat.of().formatHex(TestData.CHECKOUT_TRACE_ID).toUpperCase())).hasSize(1);
    assertThat(bodies("service:payments AND severity:ERROR AND body:\"card declined\"")).hasSize(1);
  }

  @Test
  void invalidTraceAndSpanIdsAreKeptAsSentButNotIndexed() throws IOException {
    ExportLogsServiceRequest legacy = LogTestData.invalidTraceContext(Duration.ofMinutes(15));
    write(List.of(legacy));
    List<ResourceLogs> expected = new ArrayList<>(LogTestData.flatten(List.of(legacy)));
    java.util.Collections.reverse(expected);
    assertThat(queries().search(LogQuery.of("service:legacy", HOUR_AGO, NOW, 10)).logs())
        .extracting(LogEntry::resourceLogs)
        .containsExactlyElementsOf(expected);
    // OTLP: a record whose id is all zero or of the wrong length is not associated with a trace
    assertThat(bodies("trace_id:" + "0".repeat(32))).isEmpty();
    assertThat(bodies("span_id:" + "0".repeat(16))).isEmpty();
    assertThat(bodies("trace_id:0102030405 OR span_id:060708")).isEmpty();
    assertThat(bodies("trace_id:" + java.util.HexFormat.of().formatHex(LogTestData.LEGACY_TRACE_ID)))
        .containsExactly("trace without span");
    assertThat(bodies("service:legacy AND trace_id:*")).containsExactly("trace without span");
    assertThat(bodies("service:legacy AND span_id:*")).isEmpty();
  }

  @Test
  void severityNumberRanges() throws IOException {
    writeCanned();
    assertThat(bodies("severity_number:[17 TO 24]")).hasSize(3);
    assertThat(bodies("severity_number:{9 TO 17}")).hasSize(1);
    assertThat(bodies("severity_number:[* TO 9]")).hasSize(3);
    assertThat(bodies("severity_number:13")).hasSize(1);
  }

  @Test
  void attributesAreExactTypedAndRangeable() throws IOException {
    writeCanned();
    assertThat(bodies("attributes.order.id:ord-42")).hasSize(1);
    assertThat(bodies("attributes.order.id:ord")).isEmpty();
    assertThat(bodies("attributes.http.response.status_code:200")).hasSize(2);
    assertThat(bodies("attributes.http.response.status_code:[500 TO 599]")).hasSize(1);
    assertThat(bodies("attributes.payment.amount:100")).hasSize(1);
    assertThat(bodies("attributes.payment.amount:100.0")).hasSize(1);
    assertThat(bodies("attributes.payment.amount:{99.5 TO 100.5}")).hasSize(1);
    assertThat(bodies("attributes.retry:false")).hasSize(1);
    assertThat(bodies("attributes.user.tier:gold")).hasSize(1);
    assertThat(bodies("attributes.tags:b")).hasSize(1);
    assertThat(bodies("attributes.http.route:\"/api/v1/orders\"")).hasSize(1);
    assertThat(bodies("attributes.exception.type:Card*")).hasSize(1);
    assertThat(bodies("attributes.attempt:*")).hasSize(1);
    assertThat(bodies("resource.service.namespace:shop")).hasSize(5);
    assertThat(bodies("resource.deployment.environment.name:prod AND service:frontend")).hasSize(3);
  }

  @Test
  void timeBoundsAreStartInclusiveEndExclusive() throws IOException {
    writeCanned();
    Instant thirty = NOW.minus(Duration.ofMinutes(30));
    Instant ten = NOW.minus(Duration.ofMinutes(10));
    LogPage page = queries().search(LogQuery.of("", thirty, ten, 100));
    assertThat(page.logs()).extracting(LogStoreContract::body)
        .containsExactly(
            "Retrying charge 550e8400-e29b-41d4-a716-446655440000 after card_declined",
            "PaymentService failed: card declined for order ord-42");
    assertThat(queries().search(LogQuery.of("", ten, ten, 100)).total()).isZero();
    assertThat(bodies("timestamp:[" + thirty + " TO " + ten + "}")).hasSize(2);
    assertThat(bodies("timestamp:[" + thirty.toEpochMilli() + " TO *]")).hasSize(6);
  }

  @Test
  void aRecordWithoutTimeUsesItsObservedTime() throws IOException {
    writeCanned();
    LogPage page = queries().search(LogQuery.of("", NOW.minusSeconds(61), NOW.minusSeconds(59), 10));
    assertThat(page.logs()).hasSize(1);
    assertThat(page.logs().get(0).record().getBody().hasKvlistValue()).isTrue();
    assertThat(bodies("page_view")).hasSize(1);
  }

  @Test
  void pagingVisitsEveryRecordOnceInBothDirections() throws IOException {
    long seed = System.nanoTime();
    System.out.println("LogStoreContract paging seed " + seed);
    List<ExportLogsServiceRequest> data = LogTestData.random(seed, 400);
    write(data);
    for (Direction direction : Direction.values()) {
      List<LogEntry> all = new ArrayList<>();
      LogQuery q = new LogQuery("*", HOUR_AGO, NOW, direction, 37, null);
      LogPage page;
      int pages = 0;
      do {
        page = queries().search(q);
        assertThat(page.total()).as("seed %d", seed).isEqualTo(400);
        all.addAll(page.logs());
        q = q.next(page.nextCursor());
        pages++;
      } while (page.nextCursor() != null && pages < 100);
      assertThat(all).as("seed %d %s", seed, direction).hasSize(400);
      Set<Long> seqs = all.stream().map(e -> e.record().getAttributes(0).getValue().getIntValue()).collect(Collectors.toSet());
      assertThat(seqs).as("seed %d", seed).hasSize(400);
      Comparator<Long> order = direction == Direction.BACKWARD ? Comparator.reverseOrder() : Comparator.naturalOrder();
      assertThat(all.stream().map(LogEntry::timestampNanos).toList()).as("seed %d", seed).isSortedAccordingTo(order);
    }
  }

  @Test
  void pagingOverUnevenlySpreadMatchesKeepsTheOrderAndMissesNone() throws IOException {
    // most matches in one burst, a few far apart: a page cannot be found by assuming they are
    // spread evenly over the range
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    int n = 0;
    for (int i = 0; i < 240; i++, n++) {
      req.addResourceLogs(
          LogTestData.resourceLogs(
              TestData.resource("burst"),
              LogTestData.record(
                  Duration.ofMinutes(30).plusMillis(i % 3),
                  SeverityNumber.SEVERITY_NUMBER_WARN,
                  "WARN",
                  "uneven " + n)));
    }
    for (Duration ago : List.of(Duration.ofMinutes(59), Duration.ofMinutes(45), Duration.ofSeconds(2))) {
      req.addResourceLogs(
          LogTestData.resourceLogs(
              TestData.resource("burst"),
              LogTestData.record(ago, SeverityNumber.SEVERITY_NUMBER_WARN, "WARN", "uneven " + n++)));
    }
    write(List.of(req.build()));
    for (Direction direction : Direction.values()) {
      for (int limit : new int[] {1, 7, 60}) {
        List<LogEntry> all = new ArrayList<>();
        LogQuery q = new LogQuery("body:uneven", HOUR_AGO, NOW, direction, limit, null);
        LogPage page;
        int pages = 0;
        do {
          page = queries().search(q);
          assertThat(page.total()).isEqualTo(n);
          all.addAll(page.logs());
          q = q.next(page.nextCursor());
          pages++;
        } while (page.nextCursor() != null && pages < 1000);
        assertThat(all.stream().map(LogStoreContract::body).collect(Collectors.toSet()))
            .as("%s, %d per page", direction, limit)
            .hasSize(n);
        assertThat(all).hasSize(n);
        Comparator<Long> order =
            direction == Direction.BACKWARD ? Comparator.reverseOrder() : Comparator.naturalOrder();
        assertThat(all.stream().map(LogEntry::timestampNanos).toList())
            .isSortedAccordingTo(order);
      }
    }
  }

  @Test
  void pagingWithAFilterAndEqualTimestamps() throws IOException {
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    for (int i = 0; i < 25; i++) {
      req.addResourceLogs(
          LogTestData.resourceLogs(
              TestData.resource(i % 2 == 0 ? "even" : "odd"),
              LogTestData.record(Duration.ofSeconds(5), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "same " + i)));
    }
    write(List.of(req.build()));
    Set<String> seen = new HashSet<>();
    LogQuery q = LogQuery.of("service:even", HOUR_AGO, NOW, 4);
    for (LogPage page = queries().search(q); ; page = queries().search(q)) {
      for (LogEntry e : page.logs()) {
        assertThat(seen.add(body(e))).as("duplicate %s", body(e)).isTrue();
      }
      if (page.nextCursor() == null) {
        break;
      }
      q = q.next(page.nextCursor());
    }
    assertThat(seen).hasSize(13);
  }

  @Test
  void badQueriesAreExplained() throws IOException {
    writeCanned();
    assertThatThrownBy(() -> bodies("service:payments AND"))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("position");
    assertThatThrownBy(() -> bodies("body:(unclosed"))
        .isInstanceOfSatisfying(LogQueryException.class, e -> assertThat(e.position()).isGreaterThanOrEqualTo(0));
    assertThatThrownBy(() -> bodies("nosuchfield:x"))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("nosuchfield");
    assertThatThrownBy(() -> bodies("severity_number:high"))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("severity_number");
    assertThatThrownBy(() -> bodies("timestamp:[yesterday TO now]"))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("RFC 3339");
    assertThatThrownBy(() -> queries().search(LogQuery.of("", HOUR_AGO, NOW, 10).next("garbage!")))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("cursor");
  }

  @Test
  void aCursorOfTheOtherDirectionIsRefused() throws IOException {
    writeCanned();
    LogPage page = queries().search(LogQuery.of("", HOUR_AGO, NOW, 2));
    assertThat(page.nextCursor()).isNotNull();
    assertThatThrownBy(
            () -> queries().search(new LogQuery("", HOUR_AGO, NOW, Direction.FORWARD, 2, page.nextCursor())))
        .isInstanceOf(LogQueryException.class);
  }

  // ---- histogram and facets

  @Test
  void histogramCountsAddUpToTheSearchTotal() throws IOException {
    long seed = System.nanoTime();
    System.out.println("LogStoreContract histogram seed " + seed);
    write(LogTestData.random(seed, 300));
    for (String query : List.of("*", "alpha", "service:payments OR severity:error")) {
      LogQuery q = LogQuery.of(query, NOW.minus(Duration.ofMinutes(3)), NOW, 1);
      long total = queries().search(q).total();
      List<Bucket> buckets = queries().histogram(q, Duration.ofSeconds(30));
      assertThat(buckets).hasSize(6);
      assertThat(buckets.get(0).startMillis()).isEqualTo(NOW.minus(Duration.ofMinutes(3)).toEpochMilli());
      assertThat(buckets.stream().mapToLong(Bucket::count).sum()).as("seed %d %s", seed, query).isEqualTo(total);
    }
  }

  @Test
  void histogramBucketsAreAlignedAndIncludeEmptyOnes() throws IOException {
    writeCanned();
    List<Bucket> buckets =
        queries().histogram(LogQuery.of("", NOW.minus(Duration.ofMinutes(55)), NOW, 1), Duration.ofMinutes(10));
    assertThat(buckets).extracting(Bucket::startMillis)
        .containsExactly(
            NOW.minus(Duration.ofMinutes(60)).toEpochMilli(),
            NOW.minus(Duration.ofMinutes(50)).toEpochMilli(),
            NOW.minus(Duration.ofMinutes(40)).toEpochMilli(),
            NOW.minus(Duration.ofMinutes(30)).toEpochMilli(),
            NOW.minus(Duration.ofMinutes(20)).toEpochMilli(),
            NOW.minus(Duration.ofMinutes(10)).toEpochMilli());
    assertThat(buckets).extracting(Bucket::count).containsExactly(0L, 1L, 1L, 1L, 1L, 4L);
    assertThatThrownBy(() -> queries().histogram(LogQuery.of("", HOUR_AGO, NOW, 1), Duration.ofMillis(1)))
        .isInstanceOf(LogQueryException.class)
        .hasMessageContaining("buckets");
  }

  @Test
  void facetsCountValuesAmongMatchesWithTheirTypes() throws IOException {
    writeCanned();
    Map<String, List<ValueCount>> fields =
        queries().fields(LogQuery.of("", HOUR_AGO, NOW, 1), 10).stream()
            .collect(Collectors.toMap(FieldValues::name, FieldValues::values));
    assertThat(fields.get("service"))
        .containsExactly(
            new ValueCount(string("frontend"), 3),
            new ValueCount(string("payments"), 3),
            new ValueCount(string("checkout"), 2));
    assertThat(fields.get("attributes.http.response.status_code"))
        .containsExactly(
            new ValueCount(AnyValue.newBuilder().setIntValue(200).build(), 2),
            new ValueCount(AnyValue.newBuilder().setIntValue(504).build(), 1));
    assertThat(fields.get("attributes.payment.amount"))
        .containsExactly(new ValueCount(AnyValue.newBuilder().setDoubleValue(100.0).build(), 1));
    assertThat(fields.get("attributes.retry"))
        .containsExactly(new ValueCount(AnyValue.newBuilder().setBoolValue(false).build(), 1));
    assertThat(fields.get("resource.service.namespace")).containsExactly(new ValueCount(string("shop"), 5));
    assertThat(fields.get("level"))
        .containsExactly(
            new ValueCount(string("error"), 2),
            new ValueCount(string("info"), 2),
            new ValueCount(string("debug"), 1),
            new ValueCount(string("fatal"), 1),
            new ValueCount(string("unknown"), 1),
            new ValueCount(string("warn"), 1));
    List<String> names = new ArrayList<>(fields.keySet());
    assertThat(names).contains("severity", "level", "attributes.order.id");

    Map<String, List<ValueCount>> payments =
        queries().fields(LogQuery.of("service:payments", HOUR_AGO, NOW, 1), 1).stream()
            .collect(Collectors.toMap(FieldValues::name, FieldValues::values));
    assertThat(payments.get("service")).containsExactly(new ValueCount(string("payments"), 3));
    assertThat(payments.get("level")).containsExactly(new ValueCount(string("error"), 2));
    assertThat(payments).doesNotContainKey("attributes.http.route");
  }

  private static AnyValue string(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  // ---- Loki labels

  @Test
  void lokiLabelNamesAndValues() throws IOException {
    writeCanned();
    assertThat(queries().labelNames(HOUR_AGO, NOW))
        .containsExactly("deployment_environment", "level", "service_name", "service_namespace");
    assertThat(queries().labelValues("service_name", HOUR_AGO, NOW))
        .containsExactly("checkout", "frontend", "payments");
    assertThat(queries().labelValues("level", HOUR_AGO, NOW))
        .containsExactly("debug", "error", "fatal", "info", "unknown", "warn");
    assertThat(queries().labelValues("service_namespace", HOUR_AGO, NOW)).containsExactly("shop");
    assertThat(queries().labelValues("deployment_environment", HOUR_AGO, NOW)).containsExactly("prod");
    assertThat(queries().labelValues("nope", HOUR_AGO, NOW)).isEmpty();
    assertThat(queries().labelNames(NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(29)))).isEmpty();
  }

  // ---- tail

  @Test
  void tailDeliversNewMatchingRecordsWithinASecondOnceEach() throws IOException {
    writeCanned();
    String cursor = queries().tailCursor();
    TailPage empty = queries().tail("severity:error", cursor, 100);
    assertThat(empty.logs()).isEmpty();

    apply(LogTestData.request(LogTestData.resourceLogs(LogTestData.payments(),
        LogTestData.record(Duration.ofSeconds(3), SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "tail one"),
        LogTestData.record(Duration.ofSeconds(3), SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "tail skipped"))));
    // an old timestamp still counts: tail follows arrival, not time
    apply(LogTestData.request(LogTestData.resourceLogs(LogTestData.payments(),
        LogTestData.record(Duration.ofHours(5), SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "tail two late"))));

    List<String> seen = new ArrayList<>();
    String[] c = {empty.cursor()};
    await()
        .atMost(Duration.ofSeconds(1))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(
            () -> {
              TailPage p = queries().tail("severity:error", c[0], 100);
              p.logs().forEach(e -> seen.add(body(e)));
              c[0] = p.cursor();
              assertThat(seen).containsExactly("tail one", "tail two late");
            });
    TailPage again = queries().tail("severity:error", c[0], 100);
    assertThat(again.logs()).isEmpty();
  }

  @Test
  void tailPagesByLimitWithoutGaps() throws IOException {
    String cursor = queries().tailCursor();
    write(LogTestData.random(7, 120));
    Set<Long> seqs = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      TailPage p = queries().tail("*", cursor, 25);
      for (LogEntry e : p.logs()) {
        assertThat(seqs.add(e.record().getAttributes(0).getValue().getIntValue())).isTrue();
      }
      cursor = p.cursor();
      if (p.logs().isEmpty()) {
        break;
      }
    }
    assertThat(seqs).hasSize(120);
    assertThatThrownBy(() -> queries().tail("*", "nonsense", 10)).isInstanceOf(LogQueryException.class);
  }

  // ---- durability

  @Test
  void uncommittedRecordsAreGoneAfterReopenAndReplayAddsThemOnce() throws IOException {
    List<ExportLogsServiceRequest> canned = LogTestData.canned();
    long first = apply(canned.get(0));
    store.indexer().commit();
    long second = apply(canned.get(1));
    long checkpoint = store.indexer().checkpoint();
    assertThat(checkpoint).isEqualTo(second);
    reopen();
    assertThat(store.indexer().checkpoint()).isEqualTo(checkpoint);
    assertThat(count("*")).isEqualTo(4);
    // the pipeline replays from the checkpoint; an overlapping replay of older batches is skipped
    applyAt(first, canned.get(0));
    applyAt(second, canned.get(1));
    store.indexer().commit();
    await().atMost(VISIBILITY_DEADLINE).untilAsserted(() -> assertThat(count("*")).isEqualTo(8));
    reopen();
    assertThat(count("*")).isEqualTo(8);
  }

  @Test
  void appliedRecordsAreVisibleWithoutACommit() throws IOException {
    apply(LogTestData.canned().get(0));
    await()
        .atMost(VISIBILITY_DEADLINE)
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(() -> assertThat(count("*")).isEqualTo(4));
  }

  @Test
  void onlyLogsBatchesAreTaken() {
    assertThat(store.indexer().signals()).containsExactly(Signal.LOGS);
  }
}
