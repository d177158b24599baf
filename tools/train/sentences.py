"""Write the demo model's sentence lists: everyday dictation text made by the project.

The text is generated (no outside corpus): templates for notes, e-mails, messages,
reminders, numbers, dates and times, filled from hand-written word lists, plus "guide"
sentences that put words of the DeepSpeech smoke-test vocabulary
(``shared/data/scorer/vocab.pruned.txt``) into simple frames so that its 3.5k words are
spoken too. Output: ``<work>/text/{train,dev,test}.txt`` with disjoint sentences, and
``<work>/text/vocabulary.txt`` (every word the generator can produce).

    python tools/train/sentences.py [--train 6000 --dev 200 --test 300 --seed 1]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Set

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VOCAB_GUIDE, normalize_text, work_dir  # noqa: E402

# fmt: off
ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINALS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
    "nineteenth", "twentieth", "twenty first", "twenty second", "twenty third", "twenty fourth",
    "twenty fifth", "twenty sixth", "twenty seventh", "twenty eighth", "twenty ninth", "thirtieth",
    "thirty first",
]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
]
NAMES = [
    "john", "mary", "david", "sarah", "michael", "anna", "james", "emma", "robert", "linda", "peter", "susan",
    "paul", "laura", "mark", "kate", "tom", "lisa", "george", "helen", "alex", "maria", "daniel", "jane",
    "chris", "amy", "steve", "julia", "frank", "alice",
]
PEOPLE = [
    "my brother", "my sister", "my mother", "my father", "the doctor", "the manager", "our team",
    "the teacher", "my friend", "the children", "the client", "your boss", "the neighbours", "everyone",
    "the new student", "my wife", "my husband", "the office", "the driver", "nobody",
]
SUBJECTS = ["i", "we", "you", "they", "he", "she"]
THINGS = [
    "the report", "the letter", "the meeting", "the project", "the tickets", "the keys", "the car",
    "the book", "the money", "the message", "the photos", "the invoice", "the order", "the budget",
    "the documents", "the phone", "the list", "the package", "the computer", "the bill", "the schedule",
    "the results", "the plan", "the files", "the contract", "the presentation", "the recipe", "the address",
    "the groceries", "the notes", "a coffee", "some water", "a new chair", "the printer", "the window",
    "the door", "the garden", "the kitchen", "the dinner", "the dog", "the house", "the email", "the news",
    "the answer", "the question", "the price", "the card", "the shoes", "the music", "the weather",
]
PLACES = [
    "the office", "the station", "the airport", "the hospital", "the school", "the bank", "the library",
    "the park", "the store", "the market", "home", "work", "the hotel", "the restaurant", "the city",
    "the beach", "the museum", "the church", "the river", "the post office", "the town hall", "the gym",
    "the cafe", "the garage", "london", "new york", "paris", "chicago", "boston", "the north", "the south",
    "the mountains",
]
TRANS_VERBS = [
    "send", "read", "check", "finish", "bring", "find", "buy", "sign", "print", "open", "close", "call",
    "take", "keep", "move", "clean", "fix", "write", "review", "change", "cancel", "book", "pay", "order",
    "update", "share", "forget", "remember", "need", "want", "like", "love", "see", "watch", "carry",
    "answer", "prepare", "leave", "sell", "show", "give", "get", "make", "start", "stop", "use", "try",
    "help", "ask", "tell",
]
PAST = {
    "send": "sent",
    "read": "read",
    "check": "checked",
    "finish": "finished",
    "bring": "brought",
    "find": "found",
    "buy": "bought",
    "sign": "signed",
    "print": "printed",
    "open": "opened",
    "close": "closed",
    "call": "called",
    "take": "took",
    "keep": "kept",
    "move": "moved",
    "clean": "cleaned",
    "fix": "fixed",
    "write": "wrote",
    "review": "reviewed",
    "change": "changed",
    "cancel": "cancelled",
    "book": "booked",
    "pay": "paid",
    "order": "ordered",
    "update": "updated",
    "share": "shared",
    "forget": "forgot",
    "remember": "remembered",
    "need": "needed",
    "want": "wanted",
    "like": "liked",
    "love": "loved",
    "see": "saw",
    "watch": "watched",
    "carry": "carried",
    "answer": "answered",
    "prepare": "prepared",
    "leave": "left",
    "sell": "sold",
    "show": "showed",
    "give": "gave",
    "get": "got",
    "make": "made",
    "start": "started",
    "stop": "stopped",
    "use": "used",
    "try": "tried",
    "help": "helped",
    "ask": "asked",
    "tell": "told",
}
ADJECTIVES = [
    "good", "great", "new", "old", "big", "small", "long", "short", "early", "late", "important", "easy",
    "hard", "quick", "slow", "happy", "sorry", "ready", "busy", "free", "tired", "right", "wrong", "nice",
    "cold", "warm", "hot", "cheap", "expensive", "quiet", "clean", "full", "empty", "simple", "strange",
    "beautiful", "difficult", "possible", "true", "clear", "open", "closed", "safe", "dark", "bright", "fine",
    "sure", "final",
]
ADVERBS = [
    "today", "tomorrow", "tonight", "yesterday", "soon", "later", "now", "again", "early", "next week",
    "this morning", "this afternoon", "this evening", "last night", "right away", "as soon as possible",
    "before lunch", "after dinner", "on time", "every day", "once a week", "at the weekend", "next month",
    "last year",
]
OPENERS = [
    "hi", "hello", "dear", "good morning", "good evening", "thanks", "thank you", "okay", "well", "so",
    "also", "please", "by the way", "just a reminder", "sorry", "actually", "great news", "quick question",
    "note to self", "meanwhile",
]
FEELINGS = [
    "i think", "i hope", "i believe", "i know", "i guess", "it seems", "i am sure", "i am afraid", "i heard",
    "it looks like", "i wonder if", "let me know if",
]
UNITS = [
    "dollars", "pounds", "euros", "minutes", "hours", "days", "weeks", "months", "years", "miles", "meters",
    "people", "pages", "percent", "boxes", "items", "kilos", "degrees", "times", "cups",
]
FUNCTION_WORDS = [
    "the", "a", "and", "of", "to", "in", "is", "was", "it", "that", "with", "for", "on", "as", "at", "by",
    "from", "but", "not", "or", "this", "all", "his", "her", "their", "they", "we", "you", "there", "so",
    "very", "then", "when", "which", "what",
]
REQUEST_STARTS = ["please", "could you", "can you", "would you"]
AMOUNT_STARTS = ["it costs", "we need", "there are", "i counted", "add", "about", "only"]
NUMBER_STARTS = ["the number is", "my phone number is", "the code is", "room", "flight", "order number",
                 "page", "call me at"]
WHERE_STARTS = ["where is", "what about", "who has", "when is", "how about", "do you have"]
THANKS_FOR = ["your help", "the call", "your message", "coming", "the invitation", "everything", "your time"]
WEATHER = ["cold", "warm", "hot", "sunny", "windy", "raining", "snowing", "cloudy"]
SCHEDULE_STARTS = ["see you", "call me", "we start", "the bus leaves", "lunch is", "the train arrives",
                   "the party starts"]
YEAR_STARTS = ["it happened in", "she was born in", "the house was built in", "we moved here in", "back in"]
DEGREES = ["very", "quite", "not", "really", "too"]
# fmt: on


def number_words(n: int) -> str:
    """Spoken English for 0 <= n < 1,000,000 (no "and", as dictation usually reads)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    rest = n % 1000
    return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def random_number(rng: random.Random) -> str:
    """A number as people dictate it: small ones often, sometimes large or digit by digit."""
    kind = rng.random()
    if kind < 0.45:
        return number_words(rng.randint(0, 20))
    if kind < 0.75:
        return number_words(rng.randint(21, 100))
    if kind < 0.9:
        return number_words(rng.randint(100, 9999))
    return " ".join(ONES[rng.randint(0, 9)] for _ in range(rng.randint(3, 6)))


def random_time(rng: random.Random) -> str:
    """A clock time in words."""
    hour = ONES[rng.randint(1, 12)] if rng.random() < 0.9 else "noon"
    if hour == "noon":
        return "noon"
    minute = rng.choice(["", " o'clock", " fifteen", " thirty", " forty five", " ten", " twenty"])
    suffix = rng.choice(["", "", " in the morning", " in the afternoon", " in the evening", " tonight"])
    return hour + minute + suffix


def random_date(rng: random.Random) -> str:
    """A date in words."""
    month = rng.choice(MONTHS)
    day = rng.choice(ORDINALS)
    form = rng.random()
    if form < 0.4:
        return f"{month} {day}"
    if form < 0.7:
        return f"the {day} of {month}"
    return rng.choice(DAYS) + (" morning" if rng.random() < 0.3 else "")


def person(rng: random.Random) -> str:
    """A name or a role."""
    return rng.choice(NAMES) if rng.random() < 0.5 else rng.choice(PEOPLE)


def make_templates() -> List[Callable[[random.Random], str]]:
    """Sentence templates; each draws its own slots."""
    c = random.Random.choice

    def t_reminder(r: random.Random) -> str:
        return (
            f"remind me to {c(r, TRANS_VERBS)} {c(r, THINGS)} {c(r, ['at', 'by', 'before'])} {random_time(r)}"
        )

    def t_meeting(r: random.Random) -> str:
        return f"the meeting with {person(r)} is on {random_date(r)} at {random_time(r)}"

    def t_request(r: random.Random) -> str:
        return f"{c(r, REQUEST_STARTS)} {c(r, TRANS_VERBS)} {c(r, THINGS)} {c(r, ADVERBS)}"

    def t_past(r: random.Random) -> str:
        return f"{c(r, SUBJECTS)} {PAST[c(r, TRANS_VERBS)]} {c(r, THINGS)} {c(r, ADVERBS)}"

    def t_will(r: random.Random) -> str:
        return (
            f"{c(r, SUBJECTS)} will {c(r, TRANS_VERBS)} {c(r, THINGS)} "
            f"{c(r, ['for', 'with', 'to'])} {person(r)}"
        )

    def t_going(r: random.Random) -> str:
        verb = c(
            r,
            [
                "will go to",
                "want to go to",
                "need to get to",
                "drove to",
                "walked to",
                "went to",
                "will be at",
                "arrived at",
                "left",
                "could not find",
            ],
        )
        return f"{c(r, SUBJECTS)} {verb} {c(r, PLACES)} {c(r, ADVERBS)}"

    def t_feeling(r: random.Random) -> str:
        return f"{c(r, FEELINGS)} {c(r, THINGS)} is {c(r, DEGREES)} {c(r, ADJECTIVES)}"

    def t_amount(r: random.Random) -> str:
        return f"{c(r, AMOUNT_STARTS)} {random_number(r)} {c(r, UNITS)}"

    def t_number_phrase(r: random.Random) -> str:
        return f"{c(r, NUMBER_STARTS)} {random_number(r)}"

    def t_email(r: random.Random) -> str:
        return (
            f"{c(r, OPENERS)} {c(r, NAMES)} {c(r, ['i', 'we'])} {PAST[c(r, TRANS_VERBS)]} "
            f"{c(r, THINGS)} {c(r, ADVERBS)}"
        )

    def t_question(r: random.Random) -> str:
        q = c(r, ["did you", "can we", "should i", "do you want to", "could we", "will you", "have you"])
        return f"{q} {c(r, TRANS_VERBS)} {c(r, THINGS)} {c(r, ADVERBS)}"

    def t_where(r: random.Random) -> str:
        return f"{c(r, WHERE_STARTS)} {c(r, THINGS)}"

    def t_thanks(r: random.Random) -> str:
        return f"thank you for {c(r, THANKS_FOR)} {c(r, NAMES)}"

    def t_weather(r: random.Random) -> str:
        return f"it {c(r, ['is', 'was', 'will be'])} {c(r, WEATHER)} {c(r, ADVERBS)} in {c(r, PLACES)}"

    def t_list(r: random.Random) -> str:
        items = r.sample(THINGS, 3)
        return f"{c(r, ['we need', 'do not forget', 'bring', 'buy'])} {items[0]} {items[1]} and {items[2]}"

    def t_because(r: random.Random) -> str:
        return (
            f"{c(r, SUBJECTS)} {c(r, ['cannot', 'could not', 'will not', 'did not'])} "
            f"{c(r, TRANS_VERBS)} {c(r, THINGS)} because {c(r, ['i', 'we', 'it', 'they'])} "
            f"{c(r, ['was', 'were', 'am', 'is'])} {c(r, ADJECTIVES)}"
        )

    def t_schedule(r: random.Random) -> str:
        return f"{c(r, SCHEDULE_STARTS)} at {random_time(r)} on {random_date(r)}"

    def t_state(r: random.Random) -> str:
        return (
            f"{c(r, THINGS)} {c(r, ['is', 'was', 'looks', 'seems'])} {c(r, ADJECTIVES)} "
            f"{c(r, ['but', 'and'])} {c(r, THINGS)} {c(r, ['is', 'was'])} {c(r, ADJECTIVES)}"
        )

    def t_year(r: random.Random) -> str:
        year = r.randint(1950, 2030)
        rest = year % 100
        tail = number_words(rest) if rest >= 10 else ("oh " + ONES[rest] if rest else "hundred")
        spoken = f"{number_words(year // 100)} {tail}"
        if 2000 <= year < 2010:
            spoken = "two thousand" + ("" if year == 2000 else " and " + ONES[year - 2000])
        return f"{c(r, YEAR_STARTS)} {spoken}"

    return [
        t_reminder,
        t_meeting,
        t_request,
        t_past,
        t_will,
        t_going,
        t_feeling,
        t_amount,
        t_number_phrase,
        t_email,
        t_question,
        t_where,
        t_thanks,
        t_weather,
        t_list,
        t_because,
        t_schedule,
        t_state,
        t_year,
    ]


def load_guide_words(path: Path) -> List[str]:
    """The guide vocabulary: one word per line, normalised; single letters dropped."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        w = normalize_text(line)
        if w and " " not in w and (len(w) > 1 or w in ("a", "i")):
            words.append(w)
    return sorted(set(words))


def guide_sentence(rng: random.Random, guide: Sequence[str]) -> str:
    """Words of the guide vocabulary in simple frames (so every guide word gets spoken)."""
    picks = rng.sample(guide, rng.randint(2, 4))
    frame = rng.random()
    if frame < 0.3:
        return f"the word is {picks[0]} and then {' '.join(picks[1:])}"
    if frame < 0.6:
        glue = [rng.choice(FUNCTION_WORDS) for _ in picks]
        return " ".join(w for pair in zip(picks, glue) for w in pair)
    return " ".join(picks)


def generate(n_total: int, seed: int, guide: Sequence[str], guide_share: float) -> List[str]:
    """``n_total`` distinct sentences."""
    rng = random.Random(seed)
    templates = make_templates()
    seen: Set[str] = set()
    out: List[str] = []
    while len(out) < n_total:
        guided = rng.random() < guide_share
        text = normalize_text(guide_sentence(rng, guide) if guided else rng.choice(templates)(rng))
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out


def vocabulary(guide: Sequence[str]) -> List[str]:
    """Every word the generator can produce."""
    words: Set[str] = set(guide)
    lists = [
        ONES,
        TENS,
        ORDINALS,
        DAYS,
        MONTHS,
        NAMES,
        PEOPLE,
        SUBJECTS,
        THINGS,
        PLACES,
        TRANS_VERBS,
        list(PAST.values()),
        ADJECTIVES,
        ADVERBS,
        OPENERS,
        FEELINGS,
        UNITS,
        FUNCTION_WORDS,
    ]
    for group in lists:
        for phrase in group:
            words.update(normalize_text(phrase).split())
    words.update(["hundred", "thousand", "noon", "oh", "o'clock", "morning", "afternoon", "evening"])
    return sorted(w for w in words if w)


def main(argv: List[str] | None = None) -> int:
    """Write the sentence lists."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=int, default=6000)
    parser.add_argument("--dev", type=int, default=200)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--guide-share", type=float, default=0.3, help="share of vocabulary-guide sentences")
    parser.add_argument(
        "--extra",
        type=int,
        default=0,
        help="also write N further training sentences to train2.txt (the other lists stay the same)",
    )
    parser.add_argument(
        "--extra3",
        type=int,
        default=0,
        help="and N more after those to train3.txt (generation is prefix-stable: earlier lists unchanged)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    guide = load_guide_words(VOCAB_GUIDE)
    n_base = args.train + args.dev + args.test
    sentences = generate(n_base + args.extra + args.extra3, args.seed, guide, args.guide_share)
    out = work_dir() / "text"
    out.mkdir(parents=True, exist_ok=True)
    splits: Dict[str, List[str]] = {
        "test": sentences[: args.test],
        "dev": sentences[args.test : args.test + args.dev],
        "train": sentences[args.test + args.dev : n_base],
    }
    if args.extra:
        splits["train2"] = sentences[n_base : n_base + args.extra]
    if args.extra3:
        splits["train3"] = sentences[n_base + args.extra :]
    for name, lines in splits.items():
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    vocab = vocabulary(guide)
    (out / "vocabulary.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    bad = [s for s in sentences if re.search(r"[^a-z' ]", s)]
    assert not bad, bad[:3]
    words = sum(len(s.split()) for s in sentences)
    print(f"{len(sentences)} sentences, {words} words, vocabulary {len(vocab)} words -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
