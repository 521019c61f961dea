//! GAQL tokens: words (names, keywords, enum constants), numbers, quoted
//! strings and operator symbols.

/// A syntax error: the `queryError` code and Google-like message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub code: &'static str,
    pub message: String,
    pub trigger: Option<String>,
}

pub(super) fn error(
    code: &'static str,
    message: impl Into<String>,
    trigger: Option<&str>,
) -> SyntaxError {
    SyntaxError {
        code,
        message: format!("Error in query: {}", message.into()),
        trigger: trigger.map(str::to_owned),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Token {
    Word(String),
    Num(String),
    Str(String),
    Sym(&'static str),
}

impl Token {
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Word(w) | Self::Num(w) => w.clone(),
            Self::Str(s) => format!("'{s}'"),
            Self::Sym(s) => (*s).to_owned(),
        }
    }
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '.'))
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Num(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let (text, next) = string_literal(&chars, i)?;
            tokens.push(Token::Str(text));
            i = next;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match (two.as_str(), c) {
                ("!=", _) => "!=",
                ("<=", _) => "<=",
                (">=", _) => ">=",
                (_, '=') => "=",
                (_, '<') => "<",
                (_, '>') => ">",
                (_, ',') => ",",
                (_, '(') => "(",
                (_, ')') => ")",
                _ => {
                    let bad = c.to_string();
                    return Err(error(
                        "BAD_SYMBOL",
                        format!("Invalid symbol '{c}'."),
                        Some(&bad),
                    ));
                }
            };
            i += sym.len();
            tokens.push(Token::Sym(sym));
        }
    }
    Ok(tokens)
}

/// A quoted string starting at `start`; backslash escapes the next character.
fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), SyntaxError> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
            }
            c if c == quote => return Ok((text, i + 1)),
            '\n' => {
                return Err(error(
                    "PROHIBITED_NEWLINE_IN_STRING",
                    "Newlines are not allowed in strings.",
                    None,
                ));
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(error(
        "STRING_NOT_TERMINATED",
        "String literal is not terminated.",
        None,
    ))
}
