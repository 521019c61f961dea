//! A small Google Ads Query Language parser:
//! `SELECT f, … FROM resource [WHERE cond [AND cond]…] [ORDER BY f [ASC|DESC], …]
//! [LIMIT n] [PARAMETERS …]`. Names are only parsed here; `fields` checks them.

pub(crate) use super::lexer::SyntaxError;
use super::lexer::{Token, error, tokenize};

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    pub select: Vec<String>,
    pub from: String,
    pub conditions: Vec<Condition>,
    /// `(field, descending)`.
    pub order_by: Vec<(String, bool)>,
    pub limit: Option<u64>,
}

/// `field op operand`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    pub field: String,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Like,
    NotLike,
    During,
    Between,
    IsNull,
    IsNotNull,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    One(Literal),
    List(Vec<Literal>),
    Range(Literal, Literal),
    /// A `DURING` preset such as `LAST_7_DAYS`.
    Preset(String),
    Nothing,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    /// Quoted string.
    Str(String),
    /// Number as written.
    Num(String),
    /// Bare word: enum constant, `TRUE`/`FALSE`.
    Word(String),
}

impl Literal {
    pub(crate) fn text(&self) -> &str {
        match self {
            Self::Str(s) | Self::Num(s) | Self::Word(s) => s,
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let at = self.at_keyword(keyword);
        if at {
            self.pos += 1;
        }
        at
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let at = matches!(self.peek(), Some(Token::Sym(s)) if *s == sym);
        if at {
            self.pos += 1;
        }
        at
    }

    fn unexpected(&self) -> SyntaxError {
        match self.peek() {
            Some(token) => {
                let text = token.describe();
                error(
                    "UNEXPECTED_INPUT",
                    format!("unexpected input {text}."),
                    Some(&text),
                )
            }
            None => error("UNEXPECTED_END_OF_QUERY", "unexpected end of query.", None),
        }
    }

    fn expect_keyword(&mut self, keyword: &str, code: &'static str) -> Result<(), SyntaxError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else if self.peek().is_none() {
            Err(error(code, format!("expected {keyword}."), None))
        } else {
            Err(self.unexpected())
        }
    }

    /// A field or resource name (not a reserved word).
    fn name(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(Token::Word(w)) if !is_reserved(w) => {
                let name = w.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn literal(&mut self) -> Result<Literal, SyntaxError> {
        match self.peek().cloned() {
            Some(Token::Str(s)) => {
                self.pos += 1;
                Ok(Literal::Str(s))
            }
            Some(Token::Num(n)) => {
                self.pos += 1;
                Ok(Literal::Num(n))
            }
            Some(Token::Word(w)) if !is_reserved(&w) => {
                self.pos += 1;
                Ok(Literal::Word(w))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn list(&mut self) -> Result<Vec<Literal>, SyntaxError> {
        if !self.eat_sym("(") {
            return Err(error(
                "EXPECTED_LIST",
                "expected a list in parentheses.",
                None,
            ));
        }
        let mut items = Vec::new();
        if self.eat_sym(")") {
            return Err(error(
                "PROHIBITED_EMPTY_LIST_IN_CONDITION",
                "empty list.",
                None,
            ));
        }
        loop {
            items.push(self.literal()?);
            if self.eat_sym(")") {
                return Ok(items);
            }
            if !self.eat_sym(",") {
                return Err(self.unexpected());
            }
        }
    }

    fn condition(&mut self) -> Result<Condition, SyntaxError> {
        let field = self.name()?;
        let (op, operand) = if self.eat_sym("=") {
            (Op::Eq, Operand::One(self.literal()?))
        } else if self.eat_sym("!=") {
            (Op::Ne, Operand::One(self.literal()?))
        } else if self.eat_sym("<=") {
            (Op::Le, Operand::One(self.literal()?))
        } else if self.eat_sym(">=") {
            (Op::Ge, Operand::One(self.literal()?))
        } else if self.eat_sym("<") {
            (Op::Lt, Operand::One(self.literal()?))
        } else if self.eat_sym(">") {
            (Op::Gt, Operand::One(self.literal()?))
        } else if self.eat_keyword("IN") {
            (Op::In, Operand::List(self.list()?))
        } else if self.eat_keyword("LIKE") {
            (Op::Like, Operand::One(self.literal()?))
        } else if self.eat_keyword("NOT") {
            if self.eat_keyword("IN") {
                (Op::NotIn, Operand::List(self.list()?))
            } else if self.eat_keyword("LIKE") {
                (Op::NotLike, Operand::One(self.literal()?))
            } else {
                return Err(self.unexpected());
            }
        } else if self.eat_keyword("DURING") {
            match self.next() {
                Some(Token::Word(w)) => (Op::During, Operand::Preset(w.to_ascii_uppercase())),
                _ => {
                    return Err(error(
                        "INVALID_VALUE_WITH_DURING_OPERATOR",
                        "DURING needs a date range such as LAST_7_DAYS.",
                        None,
                    ));
                }
            }
        } else if self.eat_keyword("BETWEEN") {
            let low = self.literal()?;
            self.expect_keyword("AND", "EXPECTED_AND")?;
            let high = self.literal()?;
            (Op::Between, Operand::Range(low, high))
        } else if self.eat_keyword("IS") {
            let op = if self.eat_keyword("NOT") {
                Op::IsNotNull
            } else {
                Op::IsNull
            };
            self.expect_keyword("NULL", "UNEXPECTED_INPUT")?;
            (op, Operand::Nothing)
        } else {
            return Err(self.unexpected());
        };
        Ok(Condition { field, op, operand })
    }
}

const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "PARAMETERS",
    "IN",
    "NOT",
    "LIKE",
    "DURING",
    "BETWEEN",
    "IS",
    "NULL",
];

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Parses a whole query.
pub(crate) fn parse(input: &str) -> Result<Query, SyntaxError> {
    let mut p = Parser {
        tokens: tokenize(input)?,
        pos: 0,
    };
    p.expect_keyword("SELECT", "EXPECTED_SELECT")?;
    let mut select = vec![p.name()?];
    while p.eat_sym(",") {
        select.push(p.name()?);
    }
    p.expect_keyword("FROM", "EXPECTED_FROM")?;
    let from = p.name()?;
    let mut conditions = Vec::new();
    if p.eat_keyword("WHERE") {
        conditions.push(p.condition()?);
        while p.eat_keyword("AND") {
            conditions.push(p.condition()?);
        }
    }
    let mut order_by = Vec::new();
    if p.eat_keyword("ORDER") {
        p.expect_keyword("BY", "EXPECTED_BY")?;
        loop {
            let field = p.name()?;
            let desc = if p.eat_keyword("DESC") {
                true
            } else {
                p.eat_keyword("ASC");
                false
            };
            order_by.push((field, desc));
            if !p.eat_sym(",") {
                break;
            }
        }
    }
    let mut limit = None;
    if p.eat_keyword("LIMIT") {
        limit = Some(parse_limit(p.next())?);
    }
    // PARAMETERS (include_drafts, omit_unselected_resource_names) change
    // nothing the emulator serves; accept and skip them.
    if p.eat_keyword("PARAMETERS") {
        p.pos = p.tokens.len();
    }
    if p.peek().is_some() {
        return Err(p.unexpected());
    }
    Ok(Query {
        select,
        from,
        conditions,
        order_by,
        limit,
    })
}

fn parse_limit(token: Option<Token>) -> Result<u64, SyntaxError> {
    let Some(Token::Num(n)) = token else {
        return Err(error(
            "BAD_LIMIT_VALUE",
            "LIMIT needs a positive integer.",
            None,
        ));
    };
    match n.parse::<i64>() {
        Ok(v) if v > 0 => Ok(v.unsigned_abs()),
        Ok(_) => Err(error(
            "LIMIT_VALUE_TOO_LOW",
            "LIMIT must be at least 1.",
            Some(&n),
        )),
        Err(_) => Err(error(
            "BAD_LIMIT_VALUE",
            "LIMIT needs a positive integer.",
            Some(&n),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_clause() {
        let q = parse(
            "select campaign.id, metrics.clicks FROM campaign WHERE campaign.status IN ('ENABLED', PAUSED) \
             AND segments.date DURING last_7_days AND campaign.name LIKE '%Brand%' \
             AND segments.date BETWEEN '2026-01-01' AND \"2026-01-31\" AND metrics.clicks >= 10 \
             ORDER BY metrics.clicks DESC, campaign.id LIMIT 5 PARAMETERS include_drafts=true",
        )
        .unwrap();
        assert_eq!(q.select, ["campaign.id", "metrics.clicks"]);
        assert_eq!(q.from, "campaign");
        assert_eq!(q.conditions.len(), 5);
        assert_eq!(
            q.conditions[1].operand,
            Operand::Preset("LAST_7_DAYS".into())
        );
        assert_eq!(q.conditions[4].op, Op::Ge);
        assert_eq!(
            q.order_by,
            [
                ("metrics.clicks".into(), true),
                ("campaign.id".into(), false)
            ]
        );
        assert_eq!(q.limit, Some(5));
    }

    #[test]
    fn reports_google_error_codes() {
        let code = |q: &str| parse(q).unwrap_err().code;
        assert_eq!(code("SELEKT campaign.id FROM campaign"), "UNEXPECTED_INPUT");
        assert_eq!(code("SELECT campaign.id"), "EXPECTED_FROM");
        assert_eq!(
            code("SELECT campaign.id FROM campaign WHERE"),
            "UNEXPECTED_END_OF_QUERY"
        );
        assert_eq!(
            code("SELECT campaign.id FROM campaign LIMIT 0"),
            "LIMIT_VALUE_TOO_LOW"
        );
        assert_eq!(
            code("SELECT campaign.id FROM campaign WHERE campaign.name = 'x"),
            "STRING_NOT_TERMINATED"
        );
        assert_eq!(
            code("SELECT campaign.id FROM campaign WHERE campaign.id IN ()"),
            "PROHIBITED_EMPTY_LIST_IN_CONDITION"
        );
        assert_eq!(code("SELECT campaign.id; FROM campaign"), "BAD_SYMBOL");
        assert_eq!(
            code("SELECT campaign.id FROM campaign extra"),
            "UNEXPECTED_INPUT"
        );
    }
}
