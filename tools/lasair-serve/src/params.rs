//! A request's parameters as Django REST Framework reads them: the query string, then a form
//! or JSON body. The client sends forms (`requests.post(data=...)`): Python's bools arrive as
//! `True`/`False`, lists as repeated keys, numbers as decimal text. Each field is checked with
//! DRF's messages, gathered into the `{"field": ["message"]}` answer.

use serde_json::Value as Json;

use crate::reply::ApiError;

/// The parameters of one request.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// The body, when it was JSON.
    pub json: Option<Json>,
}

/// The largest body read (Lasair's `DATA_UPLOAD_MAX_MEMORY_SIZE`).
pub const MAX_BODY: usize = 25 << 20;

impl Params {
    /// From the query string and the body, as its content type says.
    pub fn parse(query: Option<&str>, content_type: &str, body: &[u8]) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if let Some(q) = query {
            params
                .pairs
                .extend(form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        if body.is_empty() {
            return Ok(params);
        }
        if content_type.starts_with("application/json") {
            let json: Json = serde_json::from_slice(body)
                .map_err(|e| ApiError::Parse(format!("JSON parse error - {e}")))?;
            if let Json::Object(map) = &json {
                params.add_json(map);
            }
            params.json = Some(json);
        } else {
            params
                .pairs
                .extend(form_urlencoded::parse(body).into_owned());
        }
        Ok(params)
    }

    /// The fields of one JSON object (an item of a JSON list), read as a form would be.
    pub fn from_json(item: &Json) -> Params {
        let mut params = Params::default();
        if let Json::Object(map) = item {
            params.add_json(map);
        }
        params
    }

    fn add_json(&mut self, map: &serde_json::Map<String, Json>) {
        for (k, v) in map {
            match v {
                Json::Array(items) => self
                    .pairs
                    .extend(items.iter().map(|i| (k.clone(), text(i)))),
                other => self.pairs.push((k.clone(), text(other))),
            }
        }
    }

    /// The last value given for `name` (as Django's `QueryDict.get`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The API token given as `?token=KEY`.
    pub fn token(&self) -> Option<&str> {
        self.get("token")
    }

    /// A checker of this request's fields.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            params: self,
            errors: Vec::new(),
        }
    }
}

/// A JSON scalar as a form would have carried it.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// Checks fields one by one, gathering DRF's messages; [`Fields::done`] answers 400 with all
/// of them when any failed.
#[derive(Debug)]
pub struct Fields<'a> {
    params: &'a Params,
    errors: Vec<(String, String)>,
}

const REQUIRED: &str = "This field is required.";

impl Fields<'_> {
    fn fail<T>(&mut self, name: &str, message: impl Into<String>) -> Option<T> {
        self.errors.push((name.to_owned(), message.into()));
        None
    }

    fn given(&mut self, name: &str, required: bool) -> Option<&str> {
        match self.params.get(name) {
            Some(v) => Some(v),
            None if required => self.fail(name, REQUIRED),
            None => None,
        }
    }

    /// A required number within `min..=max`.
    pub fn float(&mut self, name: &str, min: Option<f64>, max: Option<f64>) -> Option<f64> {
        let text = self.given(name, true)?.trim().to_owned();
        let Ok(x) = text.parse::<f64>() else {
            return self.fail(name, "A valid number is required.");
        };
        if !x.is_finite() {
            return self.fail(name, "A valid number is required.");
        }
        if let Some(max) = max.filter(|m| x > *m) {
            return self.fail(
                name,
                format!("Ensure this value is less than or equal to {max}."),
            );
        }
        if let Some(min) = min.filter(|m| x < *m) {
            return self.fail(
                name,
                format!("Ensure this value is greater than or equal to {min}."),
            );
        }
        Some(x)
    }

    /// An optional integer within `0..=max`.
    pub fn count(&mut self, name: &str, max: u64) -> Option<Option<u64>> {
        let Some(text) = self.given(name, false) else {
            return Some(None);
        };
        let text = text.trim().to_owned();
        let Ok(n) = text.parse::<i64>() else {
            return self.fail(name, "A valid integer is required.");
        };
        if n < 0 {
            return self.fail(name, "Ensure this value is greater than or equal to 0.");
        }
        if n as u64 > max {
            return self.fail(
                name,
                format!("Ensure this value is less than or equal to {max}."),
            );
        }
        Some(Some(n as u64))
    }

    /// Text of at most `max` characters; required unless `optional`; blank allowed when
    /// `blank`.
    pub fn text(&mut self, name: &str, max: usize, blank: bool, optional: bool) -> Option<String> {
        let Some(value) = self.given(name, !optional) else {
            return optional.then(String::new);
        };
        let value = value.to_owned();
        if !blank && value.trim().is_empty() {
            return self.fail(name, "This field may not be blank.");
        }
        if value.chars().count() > max {
            return self.fail(
                name,
                format!("Ensure this field has no more than {max} characters."),
            );
        }
        Some(value)
    }

    /// A boolean as DRF's `BooleanField` takes one (`True`, `true`, `1`, `yes`, `on`, ...),
    /// `default` when absent.
    pub fn boolean(&mut self, name: &str, default: bool) -> Option<bool> {
        let Some(text) = self.given(name, false) else {
            return Some(default);
        };
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "on" | "t" => Some(true),
            "false" | "0" | "no" | "n" | "off" | "f" | "" => Some(false),
            _ => self.fail(name, "Must be a valid boolean."),
        }
    }

    /// One of `choices`, required.
    pub fn choice(&mut self, name: &str, choices: &[&str]) -> Option<String> {
        let text = self.given(name, true)?.to_owned();
        if choices.contains(&text.as_str()) {
            Some(text)
        } else {
            self.fail(name, format!("\"{text}\" is not a valid choice."))
        }
    }

    /// Ok when every field passed, else the 400 answer with each field's messages.
    pub fn done(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_queries_and_json_read_alike() {
        let p = Params::parse(
            Some("token=abc&lite=True"),
            "application/x-www-form-urlencoded",
            b"objectIds=a&objectIds=b&ra=10.5",
        )
        .expect("form");
        assert_eq!(p.token(), Some("abc"));
        assert_eq!(p.all("objectIds"), ["a", "b"]);
        let mut f = p.fields();
        assert_eq!(f.boolean("lite", false), Some(true));
        assert_eq!(f.float("ra", Some(0.0), Some(360.0)), Some(10.5));
        assert_eq!(f.float("dec", Some(-90.0), Some(90.0)), None);
        let Err(ApiError::Fields(errors)) = f.done() else {
            panic!("dec is missing")
        };
        assert_eq!(errors, [("dec".to_owned(), REQUIRED.to_owned())]);

        let p = Params::parse(
            None,
            "application/json",
            br#"{"lite": false, "ra": 400, "ids": [1, 2]}"#,
        )
        .expect("json");
        let mut f = p.fields();
        assert_eq!(f.boolean("lite", true), Some(false));
        assert_eq!(f.float("ra", Some(0.0), Some(360.0)), None);
        assert_eq!(p.all("ids"), ["1", "2"]);
        assert!(Params::parse(None, "application/json", b"{").is_err());
        let p = Params::parse(Some("limit=-1&n=x&c=maybe"), "", b"").expect("query");
        let mut f = p.fields();
        assert_eq!(f.count("limit", 10), None);
        assert_eq!(f.count("n", 10), None);
        assert_eq!(f.count("absent", 10), Some(None));
        assert_eq!(f.choice("c", &["all", "count"]), None);
        assert_eq!(f.text("t", 5, true, true), Some(String::new()));
        assert_eq!(f.text("t", 5, true, false), None);
    }
}
