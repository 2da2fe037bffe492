/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import static io.faultline.log.LogDocuments.ATTR;
import static io.faultline.log.LogDocuments.ATTRIBUTES_PREFIX;
import static io.faultline.log.LogDocuments.BODY;
import static io.faultline.log.LogDocuments.RESOURCE_PREFIX;

import io.faultline.core.log.LogQueryException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.queryparser.classic.Token;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.util.NumericUtils;

/**
 * Lucene's classic query syntax over the log fields (see {@link io.faultline.core.log.LogQuery}):
 * {@code body} is analysed, the other fields are exact, {@code timestamp} and {@code
 * severity_number} are numeric, and {@code attributes.<key>} / {@code resource.<key>} map onto
 * the shared attribute fields. Not thread-safe; use one per query.
 */
final class LogQueryParser extends QueryParser {
  static final List<String> FIELDS =
      List.of(
          "body", "service", "severity", "severity_number", "level", "trace_id", "span_id",
          "timestamp", "attributes.<key>", "resource.<key>");

  private static final Pattern COLUMN = Pattern.compile("column (\\d+)");

  private LogQueryParser() {
    super(BODY, LogTextAnalyzer.forQueries());
    setAllowLeadingWildcard(true);
    setSplitOnWhitespace(true);
    setAutoGeneratePhraseQueries(true);
  }

  /** Parses {@code text}; blank or {@code *} means every record. */
  static Query parseQuery(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty() || trimmed.equals("*") || trimmed.equals("*:*")) {
      return new MatchAllDocsQuery();
    }
    try {
      return withPositiveClauses(new LogQueryParser().parse(trimmed));
    } catch (ParseException e) {
      throw syntaxError(text, e);
    }
  }

  // Lucene matches nothing with only negative clauses; users mean "everything except" (NOT foo).
  private static Query withPositiveClauses(Query q) {
    if (!(q instanceof BooleanQuery bq)) {
      return q;
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(bq.getMinimumNumberShouldMatch());
    boolean onlyNegative = !bq.clauses().isEmpty();
    for (BooleanClause c : bq.clauses()) {
      b.add(withPositiveClauses(c.getQuery()), c.getOccur());
      onlyNegative &= c.getOccur() == BooleanClause.Occur.MUST_NOT;
    }
    if (onlyNegative) {
      b.add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER);
    }
    return b.build();
  }

  private static LogQueryException syntaxError(String text, ParseException e) {
    int offset = text.length() - text.stripLeading().length();
    Throwable cause = e.getCause();
    int column = -1;
    String detail = e.getMessage();
    if (cause instanceof ParseException pe && pe.currentToken != null) {
      Token next = pe.currentToken.next;
      column = next == null ? pe.currentToken.endColumn + 1 : next.beginColumn;
      detail =
          next == null || next.kind == 0
              ? "the query ends too early"
              : "unexpected '" + next.image + "'";
    } else if (cause != null) {
      Matcher m = COLUMN.matcher(cause.getMessage());
      if (m.find()) {
        column = Integer.parseInt(m.group(1));
      }
      detail = cause.getMessage().split("\n")[0];
    }
    if (column < 0) {
      return new LogQueryException("cannot parse the query: " + firstLine(detail));
    }
    int position = offset + column - 1;
    return new LogQueryException(
        "cannot parse the query at position " + position + ": " + firstLine(detail)
            + " (quote values with spaces or special characters, e.g. body:\"a/b: c\")",
        position);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private enum Kind {
    TEXT,
    EXACT,
    LOWERCASE_EXACT,
    SEVERITY_NUMBER,
    TIMESTAMP,
    ATTRIBUTE,
    ALL
  }

  private static Kind kind(String field) {
    switch (field) {
      case BODY:
        return Kind.TEXT;
      case LogDocuments.SERVICE:
        return Kind.EXACT;
      case LogDocuments.SEVERITY:
      case LogDocuments.LEVEL:
      case LogDocuments.TRACE_ID:
      case LogDocuments.SPAN_ID:
        return Kind.LOWERCASE_EXACT;
      case LogDocuments.SEVERITY_NUMBER:
        return Kind.SEVERITY_NUMBER;
      case LogDocuments.TIMESTAMP:
        return Kind.TIMESTAMP;
      case "*":
        return Kind.ALL;
      default:
        if ((field.startsWith(ATTRIBUTES_PREFIX) && field.length() > ATTRIBUTES_PREFIX.length())
            || (field.startsWith(RESOURCE_PREFIX) && field.length() > RESOURCE_PREFIX.length())) {
          return Kind.ATTRIBUTE;
        }
        throw new LogQueryException(
            "unknown field '"
                + field
                + "'; the fields are "
                + String.join(", ", FIELDS)
                + ". To search text containing ':', quote it: body:\""
                + field
                + ":...\"");
    }
  }

  @Override
  protected Query getFieldQuery(String field, String queryText, boolean quoted) throws ParseException {
    switch (kind(field)) {
      case TEXT:
        return super.getFieldQuery(field, queryText, quoted);
      case EXACT:
        return new TermQuery(new Term(field, queryText));
      case LOWERCASE_EXACT:
        return new TermQuery(new Term(field, queryText.toLowerCase(Locale.ROOT)));
      case SEVERITY_NUMBER:
        return IntPoint.newExactQuery(field, severityNumber(queryText));
      case TIMESTAMP:
        long t = timeNanos(queryText);
        return LongPoint.newExactQuery(field, t);
      case ATTRIBUTE:
        return attributeQuery(field, queryText);
      default:
        return super.getFieldQuery(field, queryText, quoted);
    }
  }

  @Override
  protected Query getFieldQuery(String field, String queryText, int slop) throws ParseException {
    if (kind(field) == Kind.TEXT) {
      return super.getFieldQuery(field, queryText, slop);
    }
    return getFieldQuery(field, queryText, true);
  }

  private static Query attributeQuery(String field, String value) {
    Query exact = new TermQuery(new Term(ATTR, LogDocuments.attrTerm(field, value)));
    Double number = number(value);
    if (number == null) {
      return exact;
    }
    // 100.0 and 1e2 find a double stored as 100, and the number in any spelling
    return new BooleanQuery.Builder()
        .add(exact, BooleanClause.Occur.SHOULD)
        .add(numericRange(field, number, number), BooleanClause.Occur.SHOULD)
        .build();
  }

  private static Query numericRange(String field, double lower, double upper) {
    long hash = LogDocuments.fieldHash(field);
    return LongPoint.newRangeQuery(
        LogDocuments.ATTR_NUM,
        new long[] {hash, NumericUtils.doubleToSortableLong(lower)},
        new long[] {hash, NumericUtils.doubleToSortableLong(upper)});
  }

  @Override
  protected Query getRangeQuery(
      String field, String part1, String part2, boolean startInclusive, boolean endInclusive)
      throws ParseException {
    switch (kind(field)) {
      case SEVERITY_NUMBER: {
        int lo = part1 == null ? Integer.MIN_VALUE : severityNumber(part1);
        int hi = part2 == null ? Integer.MAX_VALUE : severityNumber(part2);
        if (!startInclusive && lo != Integer.MIN_VALUE) {
          lo++;
        }
        if (!endInclusive && hi != Integer.MAX_VALUE) {
          hi--;
        }
        return IntPoint.newRangeQuery(field, lo, hi);
      }
      case TIMESTAMP: {
        long lo = part1 == null ? Long.MIN_VALUE : timeNanos(part1);
        long hi = part2 == null ? Long.MAX_VALUE : timeNanos(part2);
        if (!startInclusive && lo != Long.MIN_VALUE) {
          lo++;
        }
        if (!endInclusive && hi != Long.MAX_VALUE) {
          hi--;
        }
        return LongPoint.newRangeQuery(field, lo, hi);
      }
      case ATTRIBUTE: {
        Double lo = part1 == null ? null : number(part1);
        Double hi = part2 == null ? null : number(part2);
        if ((part1 == null || lo != null) && (part2 == null || hi != null)) {
          double l = lo == null ? Double.NEGATIVE_INFINITY : lo;
          double h = hi == null ? Double.POSITIVE_INFINITY : hi;
          if (!startInclusive && lo != null) {
            l = Math.nextUp(l);
          }
          if (!endInclusive && hi != null) {
            h = Math.nextDown(h);
          }
          return numericRange(field, l, h);
        }
        String prefix = field + LogDocuments.SEPARATOR;
        return TermRangeQuery.newStringRange(
            ATTR,
            prefix + (part1 == null ? "" : part1),
            part2 == null ? field + '\u0001' : prefix + part2,
            part1 == null || startInclusive,
            part2 == null ? false : endInclusive);
      }
      case LOWERCASE_EXACT:
        return super.getRangeQuery(
            field,
            part1 == null ? null : part1.toLowerCase(Locale.ROOT),
            part2 == null ? null : part2.toLowerCase(Locale.ROOT),
            startInclusive,
            endInclusive);
      default:
        return super.getRangeQuery(field, part1, part2, startInclusive, endInclusive);
    }
  }

  @Override
  protected Query getWildcardQuery(String field, String termStr) throws ParseException {
    Kind kind = kind(field);
    if (kind == Kind.ALL || (kind == Kind.TEXT && termStr.equals("*"))) {
      return new MatchAllDocsQuery();
    }
    return switch (kind) {
      case TEXT -> super.getWildcardQuery(field, termStr);
      case EXACT -> new WildcardQuery(new Term(field, termStr));
      case LOWERCASE_EXACT -> new WildcardQuery(new Term(field, termStr.toLowerCase(Locale.ROOT)));
      case ATTRIBUTE -> termStr.equals("*")
          ? new PrefixQuery(new Term(ATTR, field + LogDocuments.SEPARATOR))
          : new WildcardQuery(new Term(ATTR, escapeWildcard(field) + LogDocuments.SEPARATOR + termStr));
      default -> throw notText(field, "wildcards");
    };
  }

  @Override
  protected Query getPrefixQuery(String field, String termStr) throws ParseException {
    return switch (kind(field)) {
      case TEXT -> super.getPrefixQuery(field, termStr);
      case EXACT -> new PrefixQuery(new Term(field, termStr));
      case LOWERCASE_EXACT -> new PrefixQuery(new Term(field, termStr.toLowerCase(Locale.ROOT)));
      case ATTRIBUTE -> new PrefixQuery(new Term(ATTR, field + LogDocuments.SEPARATOR + termStr));
      case ALL -> new MatchAllDocsQuery();
      default -> throw notText(field, "prefixes");
    };
  }

  @Override
  protected Query getRegexpQuery(String field, String termStr) throws ParseException {
    try {
      return switch (kind(field)) {
        case TEXT -> super.getRegexpQuery(field, termStr);
        case EXACT -> new RegexpQuery(new Term(field, termStr));
        case LOWERCASE_EXACT -> new RegexpQuery(new Term(field, termStr.toLowerCase(Locale.ROOT)));
        default -> throw notText(field, "regular expressions");
      };
    } catch (LogQueryException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      // Lucene's RegExp refuses a malformed expression (or one too complex to run) this way
      throw new ParseException("invalid regular expression /" + termStr + "/: " + e.getMessage());
    }
  }

  @Override
  protected Query getFuzzyQuery(String field, String termStr, float minSimilarity)
      throws ParseException {
    return switch (kind(field)) {
      case TEXT -> super.getFuzzyQuery(field, termStr, minSimilarity);
      case EXACT, LOWERCASE_EXACT -> new FuzzyQuery(
          new Term(field, kind(field) == Kind.EXACT ? termStr : termStr.toLowerCase(Locale.ROOT)));
      default -> throw notText(field, "fuzzy terms");
    };
  }

  private static LogQueryException notText(String field, String what) {
    return new LogQueryException(field + " does not support " + what);
  }

  private static String escapeWildcard(String s) {
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?");
  }

  private static int severityNumber(String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new LogQueryException(
          "severity_number takes a number from 1 to 24, got '" + text + "'; use severity:" + text
              + " for the text");
    }
  }

  private static Double number(String text) {
    String t = text.trim();
    if (t.isEmpty() || !(Character.isDigit(t.charAt(t.length() - 1)) || t.endsWith("."))) {
      return null;
    }
    try {
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** RFC 3339 (any offset) or Unix milliseconds, as nanoseconds since the epoch. */
  static long timeNanos(String text) {
    String t = text.trim();
    try {
      long millis = Long.parseLong(t);
      return Math.multiplyExact(millis, 1_000_000L);
    } catch (NumberFormatException | ArithmeticException e) {
      // not milliseconds: try RFC 3339
    }
    try {
      Instant i = OffsetDateTime.parse(t).toInstant();
      return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L), i.getNano());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new LogQueryException(
          "timestamp takes RFC 3339 times (2026-11-24T10:00:00Z) or Unix milliseconds, got '"
              + text
              + "'");
    }
  }
}
