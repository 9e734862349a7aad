-- 1,000,000 listings from 20,000 providers, generated inside PostgreSQL (never row by row from Python).
-- Words, categories and states are realistic; 1% of providers are suspended; ~10% of listings are not active.
-- ZIP codes are real ones from "ZipCentroid" (revision 0017), each about equally often, with their state, so the
-- listings spread over the country as ZIP codes do (densest where people live); the trigger locates them.
INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status, email_verified,
                               tenant_verified, created_at, updated_at)
SELECT 'bench-provider-' || g || '@example.test', 'not-a-hash',
       (ARRAY['Sam','Alex','Jordan','Casey','Riley','Morgan','Taylor','Jamie','Avery','Quinn'])[1 + g % 10],
       (ARRAY['Rivera','Nguyen','Smith','Patel','Garcia','Kim','Brown','Lopez','Clark','Young'])[1 + (g / 10) % 10],
       (ARRAY['service_provider','both'])[1 + g % 2],
       CASE WHEN g % 100 = 0 THEN 'suspended' ELSE 'active' END, true, g % 3 = 0,
       now() - (g % 1500) * interval '1 day', now()
FROM generate_series(1, 20000) AS g;

WITH providers AS (
  SELECT array_agg(id ORDER BY id) AS ids FROM "MarketplaceUser" WHERE email LIKE 'bench-provider-%'
), places AS (
  SELECT array_agg(zip_code ORDER BY zip_code) AS zips, array_agg(coalesce(state, 'TX') ORDER BY zip_code) AS states
  FROM "ZipCentroid"
), words AS (
  SELECT
    ARRAY['stud_service','grooming','training','boarding','transport','veterinary','photography','handling',
          'breeding_consult','whelping'] AS categories,
    ARRAY['AL','AZ','CA','CO','CT','FL','GA','IL','IN','KY','MA','MD','MI','MN','MO','NC','NJ','NY','OH','OK',
          'OR','PA','SC','TN','TX','UT','VA','WA','WI','NV'] AS states,
    ARRAY['Austin','Denver','Portland','Phoenix','Columbus','Nashville','Raleigh','Tampa','Boise','Richmond',
          'Madison','Reno','Tulsa','Dayton','Albany','Fresno','Omaha','Spokane','Savannah','Lexington'] AS cities,
    ARRAY['Golden Retriever','Labrador','German Shepherd','French Bulldog','Poodle','Beagle','Dachshund',
          'Cavalier King Charles','Border Collie','Australian Shepherd','Corgi','Bernese Mountain Dog',
          'Shih Tzu','Boxer','Great Dane','Doberman','Siberian Husky','Maine Coon','Ragdoll','Bengal'] AS breeds,
    ARRAY['Champion stud service','Full grooming','Puppy obedience training','Luxury boarding',
          'Climate-controlled pet transport','Reproductive veterinary care','Litter photography',
          'AKC show handling','Breeding program consultation','Whelping and neonatal support'] AS services,
    ARRAY['experienced','certified','gentle','insured','award-winning','family-run','licensed','mobile',
          'affordable','premium','progesterone','ultrasound','ofa','health-tested','socialization','crate',
          'airport','show','coat','nails','agility','rally','kennel','puppies','litter','genetic','semen',
          'frozen','chilled','shipping','portraits','outdoor','studio','ring','conformation','nutrition'] AS vocab
)
INSERT INTO "ServiceListing" (provider_user_id, title, description, category, price_cents, price_type, currency,
                              city, state, zip_code, service_area_miles, status, tags, created_at, updated_at,
                              published_at)
SELECT
  providers.ids[1 + (g::bigint * 7919) % array_length(providers.ids, 1)],
  words.services[1 + g % 10] || ': ' || words.breeds[1 + (g / 10) % 20] || ' ' || words.vocab[1 + (g / 7) % 36],
  'We offer ' || lower(words.services[1 + g % 10]) || ' for ' || words.breeds[1 + (g / 13) % 20] || ' owners. '
    || words.vocab[1 + g % 36] || ' ' || words.vocab[1 + (g / 3) % 36] || ' ' || words.vocab[1 + (g / 11) % 36]
    || ' and ' || words.vocab[1 + (g / 17) % 36] || '. Serving ' || words.cities[1 + (g / 5) % 20]
    || ' and the surrounding area since ' || (1990 + g % 34) || '. Ask about '
    || words.vocab[1 + (g / 23) % 36] || ' and ' || words.vocab[1 + (g / 29) % 36] || ' options.',
  words.categories[1 + g % 10],
  CASE WHEN g % 10 = 9 THEN NULL ELSE 1000 + (g * 37) % 300000 END,
  CASE WHEN g % 10 = 9 THEN 'quote' ELSE (ARRAY['fixed','hourly','daily','per_session'])[1 + g % 4] END,
  'USD',
  words.cities[1 + (g / 5) % 20],
  places.states[1 + (g::bigint * 31) % array_length(places.zips, 1)],
  places.zips[1 + (g::bigint * 31) % array_length(places.zips, 1)],
  (g % 11) * 25,
  CASE WHEN g % 50 = 1 THEN 'draft' WHEN g % 50 = 2 THEN 'inactive' WHEN g % 50 = 3 THEN 'suspended'
       ELSE 'active' END,
  ARRAY[lower(words.breeds[1 + (g / 10) % 20]), words.vocab[1 + (g / 7) % 36], words.vocab[1 + (g / 19) % 36]],
  now() - ((g * 13) % 1000) * interval '1 day',
  now(),
  now() - ((g * 13) % 1000) * interval '1 day' - (g % 86400) * interval '1 second'
FROM generate_series(1, :count) AS g, providers, places, words;
